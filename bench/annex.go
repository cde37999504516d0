package main

// The rows that run git annex export: this program against git-annex's
// built-in remotes, same git-annex, same tree, same storage.

import (
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// kind is a special remote to export to.
type kind int

const (
	oursDir kind = iota
	builtinDir
	oursS3
	builtinS3
)

func (k kind) ours() bool { return k == oursDir || k == oursS3 }

// smallRepo and mediumRepo are made once and shared by the rows.
func (b *bench) smallRepo() (*repo, error) {
	if b.small == nil {
		var err error
		b.small, err = b.makeRepo("small", b.sc.small, b.sc.smallSize, 1)
		if err != nil {
			return nil, err
		}
	}
	return b.small, nil
}

func (b *bench) mediumRepo() (*repo, error) {
	if b.medium == nil {
		var err error
		b.medium, err = b.makeRepo("medium", b.sc.medium, b.sc.mediumSize, 1_000_000)
		if err != nil {
			return nil, err
		}
	}
	return b.medium, nil
}

// target is a fresh remote: its name, and how to count and clear what it
// holds.
type target struct {
	name  string
	count func() (int, error)
	clear func()
}

// newRemote runs initremote for a fresh remote of kind k in r.
func (b *bench) newRemote(r *repo, k kind) (*target, error) {
	t := &target{name: b.next("r")}
	args := []string{"annex", "initremote", "-q", t.name, "encryption=none", "exporttree=yes"}
	switch k {
	case oursDir, builtinDir:
		dir := filepath.Join(b.work, "exports", t.name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		args = append(args, "directory="+dir)
		t.count = func() (int, error) { return countFiles(dir) }
		t.clear = func() { os.RemoveAll(dir) }
	case oursS3, builtinS3:
		bucket, err := b.bucket()
		if err != nil {
			return nil, err
		}
		args = append(args, "bucket="+bucket, "requeststyle=path")
		t.count = func() (int, error) { return b.s3.countObjects(b.ctx, bucket, "") }
		t.clear = func() {}
	}
	switch k {
	case oursDir:
		args = append(args, "type=external", "externaltype=exporttree")
	case oursS3:
		args = append(args, "type=external", "externaltype=exporttree", "backend=s3", "endpoint=http://"+b.s3.host)
	case builtinDir:
		args = append(args, "type=directory")
	case builtinS3:
		// signature=v4 is not used: git-annex's S3 library signs v4
		// requests without the port, which MinIO on a port rejects.
		host, port, _ := net.SplitHostPort(b.s3.host)
		args = append(args, "type=S3", "host="+host, "port="+port, "protocol=http")
	}
	if _, err := b.git(r.dir, nil, args...); err != nil {
		return nil, err
	}
	return t, nil
}

// export runs git annex export of r's main branch to a fresh remote of
// kind k with jobs jobs, and checks that every file arrived.
func (b *bench) export(r *repo, k kind, jobs int, extraEnv ...string) (sample, error) {
	t, err := b.newRemote(r, k)
	if err != nil {
		return sample{}, err
	}
	defer t.clear()
	os.Remove(b.rssLog())
	args := []string{"annex", "export", "main", "--to", t.name}
	if jobs > 1 {
		args = append(args, "-J"+strconv.Itoa(jobs))
	}
	var ps *os.ProcessState
	s, err := timed(func() (err error) {
		_, ps, err = b.gitState(r.dir, extraEnv, args...)
		return err
	})
	if err != nil {
		return s, err
	}
	s.treeCPU = cpuTime(ps).Seconds()
	n, err := t.count()
	if err != nil {
		return s, err
	}
	if n != len(r.files) {
		return s, fmt.Errorf("export to %s left %d files, want %d", t.name, n, len(r.files))
	}
	if k.ours() {
		err = readRSSLog(b.rssLog(), &s)
		if err == nil && s.procs == 0 {
			err = fmt.Errorf("export to %s: the program did not run under the wrapper", t.name)
		}
	}
	return s, err
}

func countFiles(dir string) (int, error) {
	n := 0
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return err
	})
	return n, err
}

func (b *bench) exportRows() error {
	small, err := b.smallRepo()
	if err != nil {
		return err
	}
	medium, err := b.mediumRepo()
	if err != nil {
		return err
	}
	for _, storage := range []struct {
		name          string
		ours, builtin kind
		baseline      string
		maxRatio      float64
	}{
		{"directory", oursDir, builtinDir, "git-annex's directory remote, exporttree=yes (no fsync)", 1.1},
		{"MinIO", oursS3, builtinS3, "git-annex's S3 remote, exporttree=yes, same server", 1.0},
	} {
		for _, r := range []*repo{small, medium} {
			row := b.add(&row{
				name:     fmt.Sprintf("git annex export, %d × %s, %s", len(r.files), formatBytes(r.size/int64(len(r.files))), storage.name),
				ours:     "this program, backend=" + map[bool]string{true: "directory", false: "s3"}[storage.ours == oursDir],
				baseline: storage.baseline,
				perOp:    len(r.files), opName: "file", bytes: r.size,
				maxRatio: storage.maxRatio, targetText: fmt.Sprintf("≤ %.1f×", storage.maxRatio), checkRSS: true,
			})
			err := b.compare(row, b.sc.runs,
				func() (sample, error) { return b.export(r, storage.ours, 1) },
				func() (sample, error) { return b.export(r, storage.builtin, 1) })
			if err != nil {
				return err
			}
		}
	}
	return nil
}

func (b *bench) jobRows() error {
	r, err := b.smallRepo()
	if err != nil {
		return err
	}
	j := b.sc.jobs
	what := fmt.Sprintf("git annex export -J%d, %d × %s, MinIO", j, len(r.files), formatBytes(b.sc.smallSize))
	async := func() (sample, error) { return b.export(r, oursS3, j) }
	rows := []struct {
		row  *row
		base func() (sample, error)
	}{
		{&row{name: what, ours: "this program, ASYNC (one process)", baseline: fmt.Sprintf("git-annex's S3 remote, -J%d", j),
			maxRatio: 0.5, targetText: "≤ 0.5× (2× faster)"},
			func() (sample, error) { return b.export(r, builtinS3, j) }},
		{&row{name: what + ", against one job", ours: "this program, ASYNC", baseline: "this program, -J1"},
			func() (sample, error) { return b.export(r, oursS3, 1) }},
		{&row{name: what + ", without ASYNC", ours: "this program, one process per job (GIT_ANNEX_REMOTE_EXPORTTREE_ASYNC=0)",
			baseline: "this program, ASYNC"},
			nil},
		// With jobs the fsyncs of concurrent stores can overlap.
		{&row{name: fmt.Sprintf("git annex export -J%d, %d × %s, directory", j, len(r.files), formatBytes(b.sc.smallSize)),
			ours: "this program, ASYNC", baseline: fmt.Sprintf("git-annex's directory remote, -J%d (no fsync)", j),
			maxRatio: 1.1, targetText: "≤ 1.1×"},
			func() (sample, error) { return b.export(r, builtinDir, j) }},
	}
	for _, x := range rows {
		x.row.perOp, x.row.opName, x.row.bytes, x.row.checkRSS = len(r.files), "file", r.size, true
		b.add(x.row)
		ours, base := async, x.base
		if strings.HasSuffix(x.row.name, "directory") {
			ours = func() (sample, error) { return b.export(r, oursDir, j) }
		}
		if base == nil {
			ours = func() (sample, error) { return b.export(r, oursS3, j, "GIT_ANNEX_REMOTE_EXPORTTREE_ASYNC=0") }
			base = async
		}
		if err := b.compare(x.row, b.sc.runs, ours, base); err != nil {
			return err
		}
	}
	return nil
}

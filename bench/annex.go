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
)

// kind is a special remote to export to.
type kind int

const (
	oursDir kind = iota
	builtinDir
	oursS3
	builtinS3
	// The floor remote (floor.go) in its modes, on a directory.
	floorPlainDir
	floorDurableDir
	floorNoStoreDir
	floorNoStoreAsyncDir
)

func (k kind) ours() bool { return k == oursDir || k == oursS3 }

// floor says whether k is the floor remote, which exports to a directory.
func (k kind) floor() bool { _, ok := floorModes[k]; return ok }

// floorModes are the floor remote's kinds and their modes.
var floorModes = map[kind]string{floorPlainDir: floorPlain, floorDurableDir: floorDurable,
	floorNoStoreDir: floorNoStore, floorNoStoreAsyncDir: floorNoStoreAsync}

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
	switch {
	case k == oursDir || k == builtinDir || k.floor():
		dir := filepath.Join(b.work, "exports", t.name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		args = append(args, "directory="+dir)
		t.count = func() (int, error) { return countFiles(dir) }
		t.clear = func() { os.RemoveAll(dir) }
	case k == oursS3 || k == builtinS3:
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
	default:
		args = append(args, "type=external", "externaltype="+floorType(floorModes[k]))
	}
	// initremote does not wait for the remote processes it started:
	// their lines would reach the export's log after export cleared it.
	if _, err := b.git(r.dir, []string{envRSSLog + "=" + os.DevNull}, args...); err != nil {
		return nil, err
	}
	return t, nil
}

// export runs git annex export of r's main branch to a fresh remote of
// kind k with jobs jobs, and checks that every file arrived (none, when the
// remote stores nothing).
func (b *bench) export(r *repo, k kind, jobs int, extraEnv ...string) (s sample, err error) {
	t, err := b.newRemote(r, k)
	if err != nil {
		return sample{}, err
	}
	defer func() {
		t.clear()
		// git-annex starts every external remote of the repository at
		// each command, to ask EXPORTSUPPORTED: forget this one, or
		// every later export would pay for it.
		if _, rmErr := b.git(r.dir, nil, "remote", "remove", t.name); err == nil {
			err = rmErr
		}
	}()
	os.Remove(b.rssLog())
	args := []string{"annex", "export", "main", "--to", t.name}
	if jobs > 1 {
		args = append(args, "-J"+strconv.Itoa(jobs))
	}
	var ps *os.ProcessState
	s, err = timed(func() (err error) {
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
	want := len(r.files)
	if k == floorNoStoreDir || k == floorNoStoreAsyncDir {
		want = 0
	}
	if n != want {
		return s, fmt.Errorf("export to %s left %d files, want %d", t.name, n, want)
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
			row := &row{
				name:     exportName(r, 1, storage.name),
				ours:     "this program, backend=" + map[bool]string{true: "directory", false: "s3"}[storage.ours == oursDir],
				baseline: storage.baseline,
				maxRatio: storage.maxRatio, targetText: fmt.Sprintf("≤ %.1f×", storage.maxRatio), checkRSS: true,
			}
			err := b.compareExports(r, []exportRow{{row, b.exporter(r, storage.ours, 1), b.exporter(r, storage.builtin, 1)}})
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
	what, async := exportName(r, j, "MinIO"), b.exporter(r, oursS3, j)
	return b.compareExports(r, []exportRow{
		{&row{name: what, ours: "this program, ASYNC (one process)", baseline: fmt.Sprintf("git-annex's S3 remote, -J%d", j),
			maxRatio: 0.5, targetText: "≤ 0.5× (2× faster)", checkRSS: true},
			async, b.exporter(r, builtinS3, j)},
		{&row{name: what + ", against one job", ours: "this program, ASYNC", baseline: "this program, -J1", checkRSS: true},
			async, b.exporter(r, oursS3, 1)},
		{&row{name: what + ", without ASYNC", ours: "this program, one process per job (GIT_ANNEX_REMOTE_EXPORTTREE_ASYNC=0)",
			baseline: "this program, ASYNC", checkRSS: true},
			b.exporter(r, oursS3, j, "GIT_ANNEX_REMOTE_EXPORTTREE_ASYNC=0"), async},
		// With jobs the fsyncs of concurrent stores can overlap.
		{&row{name: exportName(r, j, "directory"), ours: "this program, ASYNC",
			baseline: fmt.Sprintf("git-annex's directory remote, -J%d (no fsync)", j), maxRatio: 1.1, targetText: "≤ 1.1×", checkRSS: true},
			b.exporter(r, oursDir, j), b.exporter(r, builtinDir, j)},
	})
}

// exportName names a row that exports r with jobs jobs to storage.
func exportName(r *repo, jobs int, storage string) string {
	j := ""
	if jobs > 1 {
		j = fmt.Sprintf(" -J%d", jobs)
	}
	return fmt.Sprintf("git annex export%s, %d × %s, %s", j, len(r.files), formatBytes(r.size/int64(len(r.files))), storage)
}

// exporter is export as one side of a comparison.
func (b *bench) exporter(r *repo, k kind, jobs int, extraEnv ...string) func() (sample, error) {
	return func() (sample, error) { return b.export(r, k, jobs, extraEnv...) }
}

// exportRow is a row exporting r, with what each side runs.
type exportRow struct {
	row        *row
	ours, base func() (sample, error)
}

// compareExports adds each row, measured per file of r, and compares its
// sides.
func (b *bench) compareExports(r *repo, rows []exportRow) error {
	for _, x := range rows {
		x.row.perOp, x.row.opName, x.row.bytes = len(r.files), "file", r.size
		b.add(x.row)
		if err := b.compare(x.row, b.sc.runs, x.ours, x.base); err != nil {
			return err
		}
	}
	return nil
}

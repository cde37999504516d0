package main

// The program's own cost per exported file, over the protocol without
// git-annex, against the same stores done in this process without it.

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
	"github.com/exporttree/git-annex-remote-exporttree/backends/directory"
)

// protoExport stores every file of r under its name in one program
// process, as git annex export does with one job, timing all the stores.
func (b *bench) protoExport(config map[string]string, r *repo) (sample, error) {
	s, err := b.start(config)
	if err != nil {
		return sample{}, err
	}
	return s.timedRequests(len(r.files), func(i int) error {
		f := r.files[i]
		return s.expect("TRANSFER-SUCCESS STORE "+f.key, "EXPORT "+f.name, "TRANSFEREXPORT STORE "+f.key+" "+f.path)
	})
}

// bareStore stores src as name below root the way an export to a directory
// must at least: a temporary in the destination directory, renamed into
// place; durable adds the fsyncs of the file and of the directory.
func bareStore(root, name, src string, durable bool) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	dir := filepath.Join(root, filepath.Dir(name))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	if _, err := io.Copy(tmp, in); err != nil {
		tmp.Close()
		return err
	}
	if durable {
		if err := tmp.Sync(); err != nil {
			tmp.Close()
			return err
		}
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), filepath.Join(root, name)); err != nil {
		return err
	}
	if !durable {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// backendExport stores every file of r through be in this process, as the
// guarded export does without the protocol: a Stat of the name, then a Store
// with the key as label, on condition that nothing is there.
func (b *bench) backendExport(be backends.Backend, r *repo) (sample, error) {
	return timedSelf(func() error {
		for _, f := range r.files {
			if _, err := be.Stat(b.ctx, f.name); !errors.Is(err, backends.ErrNotFound) {
				return fmt.Errorf("Stat(%q) before the store: %v", f.name, err)
			}
			in, err := os.Open(f.path)
			if err != nil {
				return err
			}
			_, err = be.Store(b.ctx, f.name, in, backends.StoreOptions{Size: b.sc.smallSize, Label: f.key, If: backends.NothingThere})
			in.Close()
			if err != nil {
				return err
			}
		}
		return nil
	})
}

func (b *bench) perFileRows() error {
	r, err := b.smallRepo()
	if err != nil {
		return err
	}
	if err := b.perFileDirRows(r); err != nil {
		return err
	}
	return b.perFileS3Rows(r)
}

// perFileWhat names the per-file rows.
func (b *bench) perFileWhat(r *repo) string {
	return fmt.Sprintf("the program's cost per exported file, %d × %s, over the protocol without git-annex", len(r.files), formatBytes(b.sc.smallSize))
}

// addPerFile adds a row measured per file of r.
func (b *bench) addPerFile(r *repo, x *row) *row {
	x.perOp, x.opName = len(r.files), "file"
	return b.add(x)
}

func (b *bench) perFileDirRows(r *repo) error {
	n, what := len(r.files), b.perFileWhat(r)
	add := func(x *row) *row { return b.addPerFile(r, x) }
	fresh := func() (string, func(), error) {
		dir := filepath.Join(b.work, b.next("perfile"))
		return dir, func() { os.RemoveAll(dir) }, os.MkdirAll(dir, 0o755)
	}
	bareDir := func(durable bool) func() (sample, error) {
		return func() (sample, error) {
			dir, done, err := fresh()
			if err != nil {
				return sample{}, err
			}
			defer done()
			return timed(func() error {
				for _, f := range r.files {
					if err := bareStore(dir, f.name, f.path, durable); err != nil {
						return err
					}
				}
				return nil
			})
		}
	}
	oursDir := func(guard bool) func() (sample, error) {
		return func() (sample, error) {
			dir, done, err := fresh()
			if err != nil {
				return sample{}, err
			}
			defer done()
			s, err := b.protoExport(dirConfig(dir, guard), r)
			if err == nil {
				var got int
				if got, err = countFiles(dir); err == nil && got != n {
					err = fmt.Errorf("%d files stored, want %d", got, n)
				}
			}
			return s, err
		}
	}
	durable := "bare store in this process: temporary file, fsync, rename, fsync of the directory"
	backendDir := func() (sample, error) {
		dir, done, err := fresh()
		if err != nil {
			return sample{}, err
		}
		defer done()
		be, err := directory.Open(dir, directory.Options{})
		if err != nil {
			return sample{}, err
		}
		defer be.Close()
		return b.backendExport(be, r)
	}
	// Ours against the same backend calls without the protocol, then
	// those calls against the bare store: the protocol's share and the
	// backend's.
	x := add(&row{name: what + ", directory", ours: "this program (guarded export, the default)",
		baseline: "the directory backend in this process: Stat, then Store (label, nothing there)", checkRSS: true})
	if err := b.compare(x, b.sc.runs, oursDir(true), backendDir); err != nil {
		return err
	}
	x = add(&row{name: fmt.Sprintf("the directory backend's cost per stored file, %d × %s", n, formatBytes(b.sc.smallSize)),
		ours: "the directory backend in this process: Stat, then Store (label, nothing there)", baseline: durable})
	if err := b.compare(x, b.sc.runs, backendDir, bareDir(true)); err != nil {
		return err
	}
	for _, guard := range []bool{true, false} {
		x := add(&row{name: what + ", directory", ours: map[bool]string{true: "this program (guarded export, the default)", false: "this program, guardexport=no"}[guard],
			baseline: durable, checkRSS: true})
		if err := b.compare(x, b.sc.runs, oursDir(guard), bareDir(true)); err != nil {
			return err
		}
	}
	x = add(&row{name: fmt.Sprintf("durability alone, %d × %s, directory", n, formatBytes(b.sc.smallSize)), ours: durable,
		baseline: "the same without the fsyncs, as git-annex's directory remote stores",
		maxDiff:  0.5e-3, targetText: "≤ +0.5 ms/file"})
	if err := b.compare(x, b.sc.runs, bareDir(true), bareDir(false)); err != nil {
		return err
	}
	return nil
}

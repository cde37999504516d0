package directory_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
	"github.com/exporttree/git-annex-remote-exporttree/backends/backendtest"
	"github.com/exporttree/git-annex-remote-exporttree/backends/directory"
	"golang.org/x/sys/unix"
)

// harness acts on the directory with package os, as another program would.
type harness struct {
	root   string
	b      *directory.Backend
	labels bool
}

func newHarness(opts directory.Options) backendtest.HarnessMaker {
	return newHarnessIn("", opts)
}

// newHarnessIn makes each harness's root below parent, or in the test's
// temporary directory when parent is "".
func newHarnessIn(parent string, opts directory.Options) backendtest.HarnessMaker {
	return func(ctx context.Context, t *testing.T) (backendtest.Harness, error) {
		root := t.TempDir()
		if parent != "" {
			var err error
			if root, err = os.MkdirTemp(parent, "root"); err != nil {
				return nil, err
			}
			t.Cleanup(func() { os.RemoveAll(root) })
		}
		b, err := directory.Open(root, opts)
		if err != nil {
			return nil, err
		}
		return &harness{root: root, b: b, labels: xattrsWork(t, root)}, nil
	}
}

// xattrsWork reports whether the filesystem under dir keeps user extended
// attributes, without which the backend records no labels.
func xattrsWork(t *testing.T, dir string) bool {
	t.Helper()
	p := filepath.Join(dir, "xattr-probe")
	if err := os.WriteFile(p, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(p)
	err := unix.Setxattr(p, "user.probe", []byte("x"), 0)
	if err != nil && !errors.Is(err, unix.ENOTSUP) {
		t.Fatalf("probing extended attributes: %v", err)
	}
	return err == nil
}

func (h *harness) Backend() backends.Backend { return h.b }

func (h *harness) Properties() backendtest.Properties {
	return backendtest.Properties{Labels: h.labels, Directories: true}
}

func (h *harness) path(name string) string { return filepath.Join(h.root, filepath.FromSlash(name)) }

// Write modifies in place, keeping the inode. Kernel timestamps are coarse
// (a clock tick), and a test writes faster than any real program follows a
// store; when the mtime did not move, it moves it by a microsecond.
func (h *harness) Write(ctx context.Context, name string, data []byte) error {
	p := h.path(name)
	if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
		return err
	}
	before, _ := os.Stat(p)
	if err := os.WriteFile(p, data, 0o666); err != nil {
		return err
	}
	after, err := os.Stat(p)
	if err != nil {
		return err
	}
	if before != nil && after.ModTime().Equal(before.ModTime()) {
		mtime := after.ModTime().Add(time.Microsecond)
		return os.Chtimes(p, mtime, mtime)
	}
	return nil
}

func (h *harness) Delete(ctx context.Context, name string) error {
	return os.Remove(h.path(name))
}

func (h *harness) Read(ctx context.Context, name string) ([]byte, error) {
	data, err := os.ReadFile(h.path(name))
	if errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.EISDIR) {
		return nil, fs.ErrNotExist // no file under that name
	}
	return data, err
}

func (h *harness) Entries(ctx context.Context) ([]string, error) {
	return entries(h.root)
}

// entries lists everything below root, directories with a trailing '/',
// but for the live directory of open backends (TestSessionEndsAtClose
// checks that it goes).
func entries(root string) ([]string, error) {
	var names []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if rel == directory.LiveDir {
			return fs.SkipDir
		}
		if d.IsDir() {
			rel += "/"
		}
		names = append(names, filepath.ToSlash(rel))
		return err
	})
	return names, err
}

func (h *harness) Close() { h.b.Close() }

func TestConformance(t *testing.T) {
	backendtest.RunConformanceTests(t, newHarness(directory.Options{}))
}

func TestConformanceIgnoreInodes(t *testing.T) {
	backendtest.RunConformanceTests(t, newHarness(directory.Options{IgnoreInodes: true}))
}

// Directory-specific tests.

func open(t *testing.T, root string, opts directory.Options) *directory.Backend {
	t.Helper()
	b, err := directory.Open(root, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func wantClass(t *testing.T, err, class error, mention string) {
	t.Helper()
	if !errors.Is(err, class) {
		t.Fatalf("got %v, want class %v", err, class)
	}
	if !strings.Contains(err.Error(), mention) {
		t.Errorf("error %q does not mention %q", err, mention)
	}
}

func store(t *testing.T, b backends.Backend, name, data string) backends.CID {
	t.Helper()
	cid, err := b.Store(t.Context(), name, strings.NewReader(data), backends.StoreOptions{Size: int64(len(data))})
	if err != nil {
		t.Fatal(err)
	}
	return cid
}

func wantFile(t *testing.T, p, data string) {
	t.Helper()
	got, err := os.ReadFile(p)
	if err != nil || string(got) != data {
		t.Fatalf("%s holds %q (%v), want %q", p, got, err, data)
	}
}

func wantEntries(t *testing.T, root string, want ...string) {
	t.Helper()
	got, err := entries(root)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Fatalf("%s holds %q, want %q", root, got, want)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := directory.Open(filepath.Join(dir, "nope"), directory.Options{})
	wantClass(t, err, backends.ErrUnreachable, "does not exist")
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	_, err = directory.Open(file, directory.Options{})
	wantClass(t, err, backends.ErrRefused, "not a directory")
	if err == nil || !strings.Contains(err.Error(), file) {
		t.Errorf("error %q does not name %s", err, file)
	}
}

func TestOpenNotWritable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes to read-only directories")
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	_, err := directory.Open(dir, directory.Options{})
	wantClass(t, err, backends.ErrRefused, "not writable")
}

// TestConfinement plants symbolic links to outside the root and tries every
// operation through them: all are refused, and nothing outside changes.
func TestConfinement(t *testing.T) {
	outside := t.TempDir()
	if err := os.MkdirAll(filepath.Join(outside, "sub"), 0o777); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"f", "sub/g"} {
		if err := os.WriteFile(filepath.Join(outside, name), []byte("secret"), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	before, err := entries(outside)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "f"), filepath.Join(root, "flink")); err != nil {
		t.Fatal(err)
	}
	b := open(t, root, directory.Options{})
	ctx := t.Context()
	store(t, b, "mine", "mine")
	cid := store(t, b, "d/mine", "mine")

	const escapes = "leads outside"
	for _, name := range []string{"link/f", "link/new", "link/sub/g", "link/new/dir/x"} {
		for _, cond := range []backends.Condition{backends.Unconditional, backends.NothingThere, backends.Matches(cid)} {
			_, err := b.Store(ctx, name, strings.NewReader("evil"), backends.StoreOptions{Size: 4, If: cond})
			wantClass(t, err, backends.ErrRefused, escapes)
			err = b.Remove(ctx, name, cond)
			wantClass(t, err, backends.ErrRefused, escapes)
			err = b.Rename(ctx, name, "stolen", cond, backends.Unconditional)
			wantClass(t, err, backends.ErrRefused, escapes)
		}
		for _, cond := range []backends.Condition{backends.Unconditional, backends.Matches(cid)} {
			for _, toCond := range []backends.Condition{backends.Unconditional, backends.NothingThere, backends.Matches(cid)} {
				err := b.Rename(ctx, "d/mine", name, cond, toCond)
				wantClass(t, err, backends.ErrRefused, escapes)
			}
		}
		_, err := b.Retrieve(ctx, name, "", new(strings.Builder))
		wantClass(t, err, backends.ErrRefused, escapes)
		_, err = b.Stat(ctx, name)
		wantClass(t, err, backends.ErrRefused, escapes)
		err = b.RemoveDir(ctx, name)
		wantClass(t, err, backends.ErrRefused, escapes)
	}
	err = b.List(ctx, "link", func(backends.Info) error { return nil })
	wantClass(t, err, backends.ErrRefused, escapes)
	err = b.List(ctx, "link/sub", func(backends.Info) error { return nil })
	wantClass(t, err, backends.ErrRefused, escapes)
	err = b.RemoveDir(ctx, "link")
	wantClass(t, err, backends.ErrRefused, "not a directory")

	// A symbolic link as the last component is never followed.
	_, err = b.Stat(ctx, "flink")
	wantClass(t, err, backends.ErrRefused, "not a regular file")
	_, err = b.Retrieve(ctx, "flink", "", new(strings.Builder))
	wantClass(t, err, backends.ErrRefused, "not a regular file")
	err = b.Rename(ctx, "flink", "stolen", backends.Unconditional, backends.Unconditional)
	wantClass(t, err, backends.ErrRefused, "not a regular file")
	names := map[string]bool{}
	if err := b.List(ctx, "", func(info backends.Info) error { names[info.Name] = true; return nil }); err != nil {
		t.Fatal(err)
	}
	if len(names) != 2 || !names["mine"] || !names["d/mine"] {
		t.Errorf("List yields %v, want only mine and d/mine", names)
	}
	// Storing over it replaces the link; removing removes the link.
	store(t, b, "flink", "replaced")
	wantFile(t, filepath.Join(root, "flink"), "replaced")
	if err := b.Remove(ctx, "flink", backends.Unconditional); err != nil {
		t.Fatal(err)
	}

	after, err := entries(outside)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(before, after) {
		t.Errorf("outside the root, %q became %q", before, after)
	}
	wantFile(t, filepath.Join(outside, "f"), "secret")
	wantFile(t, filepath.Join(outside, "sub/g"), "secret")
	wantFile(t, filepath.Join(root, "d/mine"), "mine")
	wantEntries(t, root, "d/", "d/mine", "link", "mine")
}

// TestUnreachable takes the directory away after Open, as unmounting a drive
// does: every operation says unreachable, never absent.
func TestUnreachable(t *testing.T) {
	for _, how := range []string{"removed", "moved", "replaced"} {
		t.Run(how, func(t *testing.T) {
			parent := t.TempDir()
			root := filepath.Join(parent, "root")
			if err := os.Mkdir(root, 0o777); err != nil {
				t.Fatal(err)
			}
			b := open(t, root, directory.Options{})
			ctx := t.Context()
			cid := store(t, b, "d/f", "data")
			switch how {
			case "removed":
				err := os.RemoveAll(root)
				if err != nil {
					t.Fatal(err)
				}
			case "moved":
				if err := os.Rename(root, root+".moved"); err != nil {
					t.Fatal(err)
				}
			case "replaced": // an empty mount point where the drive was
				if err := os.Rename(root, root+".moved"); err != nil {
					t.Fatal(err)
				}
				if err := os.Mkdir(root, 0o777); err != nil {
					t.Fatal(err)
				}
			}
			for _, name := range []string{"d/f", "nope"} {
				_, err := b.Stat(ctx, name)
				wantClass(t, err, backends.ErrUnreachable, name)
				_, err = b.Retrieve(ctx, name, "", new(strings.Builder))
				wantClass(t, err, backends.ErrUnreachable, name)
				_, err = b.Store(ctx, name, strings.NewReader("x"), backends.StoreOptions{Size: 1})
				wantClass(t, err, backends.ErrUnreachable, name)
				err = b.Remove(ctx, name, backends.Matches(cid))
				wantClass(t, err, backends.ErrUnreachable, name)
				err = b.Rename(ctx, name, "g", backends.Unconditional, backends.Unconditional)
				wantClass(t, err, backends.ErrUnreachable, name)
			}
			err := b.List(ctx, "", func(backends.Info) error { return nil })
			wantClass(t, err, backends.ErrUnreachable, root)
			err = b.RemoveDir(ctx, "d")
			wantClass(t, err, backends.ErrUnreachable, root)
			err = b.Sweep(ctx)
			wantClass(t, err, backends.ErrUnreachable, root)
		})
	}
}

// plant creates a file at name below root, last modified age ago.
func plant(t *testing.T, root, name string, age time.Duration) string {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("left over"), 0o666); err != nil {
		t.Fatal(err)
	}
	mtime := time.Now().Add(-age)
	if err := os.Chtimes(p, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	return p
}

// lock holds an exclusive flock on p from a descriptor of its own, as a
// live store in another process would.
func lock(t *testing.T, p string) (unlock func()) {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return func() { f.Close() }
}

// deadWriter leaves the session file of a writer that died (see
// session.go): the next Sweep walks the tree.
func deadWriter(t *testing.T, root string) {
	t.Helper()
	plant(t, root, directory.LiveDir+"/.git-annex-exporttree-session-"+strings.Repeat("0", 32), 0)
}

func TestSweep(t *testing.T) {
	root := t.TempDir()
	b := open(t, root, directory.Options{})
	ctx := t.Context()
	deadWriter(t, root)
	const tmp = ".git-annex-exporttree-tmp-"
	dead := []string{tmp + "dead", "d/e/" + tmp + "dead", ".git-annex-exporttree-keys/" + tmp + "dead"}
	for _, name := range dead {
		plant(t, root, name, time.Hour)
	}
	// Age does not matter: an unlocked temporary is dead, even a fresh one
	// (a store that loses its temporary before locking it makes another).
	plant(t, root, tmp+"fresh", 0)
	kept := []string{
		".git-annex-exporttree-aside-0123",       // moved aside, but names no file to go back to
		"d/" + tmp[:len(tmp)-1],                  // not a temporary's name
		".git-annex-tmp-content-SHA256E-s1--abc", // git-annex's, not ours
		"d/old",
	}
	for _, name := range kept {
		plant(t, root, name, time.Hour)
	}
	unlock := lock(t, plant(t, root, "d/"+tmp+"live", time.Hour))
	if err := b.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	// Directories emptied by the sweep go too.
	want := append(slices.Clone(kept), "d/")
	wantEntries(t, root, append(want, "d/"+tmp+"live")...)
	unlock()
	deadWriter(t, root)
	if err := b.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	wantEntries(t, root, want...)
}

// Without a dead writer's session file Sweep does not walk the tree: what it
// would sweep stays. A live writer's session file does not make it walk
// either; a dead one's does, and goes.
func TestSweepWalksOnlyAfterAWriterDied(t *testing.T) {
	root := t.TempDir()
	b := open(t, root, directory.Options{})
	ctx := t.Context()
	leftover := "d/.git-annex-exporttree-tmp-" + strings.Repeat("1", 32)
	plant(t, root, leftover, time.Hour)
	live := plant(t, root, directory.LiveDir+"/.git-annex-exporttree-session-"+strings.Repeat("2", 32), 0)
	unlock := lock(t, live)
	if err := b.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	wantEntries(t, root, "d/", leftover)
	unlock() // that writer dies
	if err := b.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	wantEntries(t, root)
	if _, err := os.Stat(live); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the dead writer's session file is still there: %v", err)
	}
}

// A writer's session file exists from its first store until Close, which
// removes it and the live directory; a reader never makes one.
func TestSessionEndsAtClose(t *testing.T) {
	root := t.TempDir()
	live := filepath.Join(root, directory.LiveDir)
	b, err := directory.Open(root, directory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Stat(t.Context(), "f"); !errors.Is(err, backends.ErrNotFound) {
		t.Fatal(err)
	}
	if _, err := os.Stat(live); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a reader made the live directory: %v", err)
	}
	store(t, b, "f", "data")
	sessions, err := os.ReadDir(live)
	if err != nil || len(sessions) != 1 {
		t.Fatalf("after a store the live directory holds %v, %v; want one session file", sessions, err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(live); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the live directory outlived Close: %v", err)
	}
}

// gate is a reader that yields half, then blocks until released.
type gate struct {
	first, rest []byte
	reached     chan struct{}
	release     chan struct{}
}

func newGate(data string) *gate {
	return &gate{first: []byte(data[:len(data)/2]), rest: []byte(data[len(data)/2:]), reached: make(chan struct{}), release: make(chan struct{})}
}

func (g *gate) Read(p []byte) (int, error) {
	if len(g.first) > 0 {
		n := copy(p, g.first)
		g.first = g.first[n:]
		if len(g.first) == 0 {
			close(g.reached)
		}
		return n, nil
	}
	<-g.release
	if len(g.rest) == 0 {
		return 0, io.EOF
	}
	n := copy(p, g.rest)
	g.rest = g.rest[n:]
	return n, nil
}

// TestSweepSparesLiveStore ages a live store's temporary past the sweep age:
// its lock alone keeps it.
func TestSweepSparesLiveStore(t *testing.T) {
	root := t.TempDir()
	b := open(t, root, directory.Options{})
	ctx := t.Context()
	data := strings.Repeat("live", 50000)
	g := newGate(data)
	done := make(chan error, 1)
	go func() {
		_, err := b.Store(ctx, "d/f", g, backends.StoreOptions{Size: int64(len(data))})
		done <- err
	}()
	released := false
	defer func() {
		if !released {
			close(g.release)
			<-done
		}
	}()
	select {
	case <-g.reached:
	case err := <-done:
		t.Fatalf("Store returned %v before reading its content", err)
	}
	names, err := entries(root)
	if err != nil {
		t.Fatal(err)
	}
	var temp string
	for _, name := range names {
		if strings.HasPrefix(name, "d/.git-annex-exporttree-tmp-") {
			temp = filepath.Join(root, name)
		}
	}
	if temp == "" {
		t.Fatalf("no temporary among %q during a store", names)
	}
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(temp, old, old); err != nil {
		t.Fatal(err)
	}
	if err := b.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(temp); err != nil {
		t.Fatalf("Sweep took a live store's temporary: %v", err)
	}
	released = true
	close(g.release)
	if err := <-done; err != nil {
		t.Fatalf("Store after Sweep: %v", err)
	}
	wantFile(t, filepath.Join(root, "d/f"), data)
	wantEntries(t, root, "d/", "d/f")
}

var errSource = errors.New("source failed")

// failingReader yields some bytes, then fails.
type failingReader struct{ n int }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, errSource
	}
	n := min(len(p), r.n)
	clear(p[:n])
	r.n -= n
	return n, nil
}

func TestStoreFailingPartWay(t *testing.T) {
	root := t.TempDir()
	b := open(t, root, directory.Options{})
	ctx := t.Context()
	for _, name := range []string{"f", "new/dir/f"} {
		_, err := b.Store(ctx, name, &failingReader{n: 100000}, backends.StoreOptions{Size: 200000, Label: "k"})
		if !errors.Is(err, errSource) || !strings.Contains(err.Error(), name) {
			t.Fatalf("Store(%q) from a failing reader: %v", name, err)
		}
	}
	wantEntries(t, root)
	store(t, b, "f", "old")
	_, err := b.Store(ctx, "f", &failingReader{n: 100000}, backends.StoreOptions{Size: -1})
	if !errors.Is(err, errSource) {
		t.Fatalf("Store over an existing file from a failing reader: %v", err)
	}
	wantFile(t, filepath.Join(root, "f"), "old")
	wantEntries(t, root, "f")
}

// cancelingReader cancels the store's context as it is read.
type cancelingReader struct {
	cancel context.CancelFunc
	r      io.Reader
}

func (c *cancelingReader) Read(p []byte) (int, error) {
	c.cancel()
	return c.r.Read(p)
}

func TestStoreCanceled(t *testing.T) {
	root := t.TempDir()
	b := open(t, root, directory.Options{})
	ctx, cancel := context.WithCancel(t.Context())
	_, err := b.Store(ctx, "d/f", &cancelingReader{cancel, strings.NewReader("data")}, backends.StoreOptions{Size: 4})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Store with a context canceled during the copy: %v", err)
	}
	wantEntries(t, root)
}

func TestStoreWhereSomethingIsInTheWay(t *testing.T) {
	root := t.TempDir()
	b := open(t, root, directory.Options{})
	ctx := t.Context()
	store(t, b, "d/sub/x", "x")
	store(t, b, "f", "f")
	_, err := b.Store(ctx, "d", strings.NewReader("y"), backends.StoreOptions{Size: 1})
	wantClass(t, err, backends.ErrRefused, "directory is in the way")
	_, err = b.Store(ctx, "f/x", strings.NewReader("y"), backends.StoreOptions{Size: 1})
	if err == nil || errors.Is(err, backends.ErrNotFound) || !strings.Contains(err.Error(), "file is in the way") {
		t.Fatalf("Store under a file: %v", err)
	}
	err = b.Rename(ctx, "f", "d", backends.Unconditional, backends.Unconditional)
	wantClass(t, err, backends.ErrRefused, "directory is in the way")
	wantEntries(t, root, "d/", "d/sub/", "d/sub/x", "f")
}

// TestRetrieveModifiedDuringRead appends to the file while Retrieve copies it.
func TestRetrieveModifiedDuringRead(t *testing.T) {
	root := t.TempDir()
	b := open(t, root, directory.Options{})
	store(t, b, "f", strings.Repeat("x", 100000))
	w := &appendingWriter{path: filepath.Join(root, "f")}
	_, err := b.Retrieve(t.Context(), "f", "", w)
	wantClass(t, err, backends.ErrConflict, "modified during the read")
	if !w.appended {
		t.Fatal("the writer never ran")
	}
}

type appendingWriter struct {
	path     string
	appended bool
}

func (w *appendingWriter) Write(p []byte) (int, error) {
	if !w.appended {
		w.appended = true
		f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return 0, err
		}
		defer f.Close()
		if _, err := f.WriteString("more"); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

var (
	cidWithInode = regexp.MustCompile(`^[0-9a-f]+\.[0-9a-f]+\.[0-9a-f]+$`)
	cidNoInode   = regexp.MustCompile(`^[0-9a-f]+\.[0-9a-f]+$`)
)

func TestCIDFormat(t *testing.T) {
	root := t.TempDir()
	cid := store(t, open(t, root, directory.Options{}), "f", strings.Repeat("x", 1024))
	fi, err := os.Stat(filepath.Join(root, "f"))
	if err != nil {
		t.Fatal(err)
	}
	ino := strconv.FormatUint(fi.Sys().(*syscall.Stat_t).Ino, 16)
	if !cidWithInode.MatchString(string(cid)) || !strings.HasPrefix(string(cid), ino+".400.") {
		t.Errorf("CID %q is not <inode %s>.<size 400>.<mtime>", cid, ino)
	}
	cid = store(t, open(t, t.TempDir(), directory.Options{IgnoreInodes: true}), "f", strings.Repeat("x", 1024))
	if !cidNoInode.MatchString(string(cid)) || !strings.HasPrefix(string(cid), "400.") {
		t.Errorf("CID %q is not <size 400>.<mtime>", cid)
	}
}

// TestIgnoreInodes replaces a file with a copy that keeps its size and
// mtime, as cp -p or a restore does: only a new inode tells them apart.
func TestIgnoreInodes(t *testing.T) {
	root := t.TempDir()
	withInodes := open(t, root, directory.Options{})
	without := open(t, root, directory.Options{IgnoreInodes: true})
	ctx := t.Context()
	if _, err := without.Store(ctx, "f", strings.NewReader("data"), backends.StoreOptions{Size: 4, Label: "key"}); err != nil {
		t.Fatal(err)
	}
	before1, err := withInodes.Stat(ctx, "f")
	if err != nil {
		t.Fatal(err)
	}
	before2, err := without.Stat(ctx, "f")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(root, "f")
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p+".copy", []byte("data"), 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p+".copy", fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(p+".copy", p); err != nil {
		t.Fatal(err)
	}
	after1, err := withInodes.Stat(ctx, "f")
	if err != nil {
		t.Fatal(err)
	}
	after2, err := without.Stat(ctx, "f")
	if err != nil {
		t.Fatal(err)
	}
	if after1.CID == before1.CID {
		t.Errorf("with inodes, the copy has the original's CID %q", after1.CID)
	}
	if after2.CID != before2.CID {
		t.Errorf("ignoring inodes, the copy's CID %q differs from the original's %q", after2.CID, before2.CID)
	}
	if after2.Label != "" {
		t.Errorf("the copy carries label %q, but copied no extended attribute", after2.Label)
	}
}

func TestLabelAttribute(t *testing.T) {
	root := t.TempDir()
	if !xattrsWork(t, root) {
		t.Skip("no user extended attributes on this filesystem")
	}
	b := open(t, root, directory.Options{IgnoreInodes: true})
	cid := store(t, b, "f", "")
	if _, err := b.Store(t.Context(), "f", strings.NewReader("data"), backends.StoreOptions{Size: 4, Label: "SHA256E-s4--k"}); err != nil {
		t.Fatal(err)
	}
	info, err := b.Stat(t.Context(), "f")
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 256)
	n, err := unix.Getxattr(filepath.Join(root, "f"), "user.git-annex-exporttree.label", buf)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(buf[:n]), string(info.CID)+" SHA256E-s4--k"; got != want {
		t.Errorf("label attribute holds %q, want %q", got, want)
	}
	if cid == info.CID {
		t.Errorf("two stores share CID %q", cid)
	}
}

func TestRemoveNeverRemovesRoot(t *testing.T) {
	root := t.TempDir()
	b := open(t, root, directory.Options{})
	store(t, b, "d/f", "x")
	if err := b.Remove(t.Context(), "d/f", backends.Unconditional); err != nil {
		t.Fatal(err)
	}
	if err := b.RemoveDir(t.Context(), "d"); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(root); err != nil || !fi.IsDir() {
		t.Fatalf("root after removing everything: %v", err)
	}
	store(t, b, "f", "still works")
	wantEntries(t, root, "f")
}

func BenchmarkStore(b *testing.B) {
	for _, size := range []int{0, 4 << 10, 64 << 10} {
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			be, err := directory.Open(b.TempDir(), directory.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer be.Close()
			data := strings.Repeat("x", size)
			b.SetBytes(int64(size))
			i := 0
			for b.Loop() {
				name := "d/f" + strconv.Itoa(i%100)
				if _, err := be.Store(b.Context(), name, strings.NewReader(data), backends.StoreOptions{Size: int64(size)}); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// RecordsLabels tells the truth: a label stored comes back exactly when the
// filesystem keeps it.
func TestRecordsLabels(t *testing.T) {
	b := open(t, t.TempDir(), directory.Options{})
	ctx := t.Context()
	if _, err := b.Store(ctx, "f", strings.NewReader("x"), backends.StoreOptions{Size: 1, Label: "SHA256E-s1--k"}); err != nil {
		t.Fatal(err)
	}
	info, err := b.Stat(ctx, "f")
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Label == "SHA256E-s1--k"; got != b.RecordsLabels() {
		t.Fatalf("label %q came back, but RecordsLabels() = %v", info.Label, b.RecordsLabels())
	}
	if !backends.RecordsLabels(b) == b.RecordsLabels() {
		t.Fatal("backends.RecordsLabels disagrees with the backend")
	}
}

// rename(2) between two links to one file does nothing and succeeds; a
// Rename between them (another program linked them) still moves: the old
// name goes.
func TestRenameBetweenHardLinks(t *testing.T) {
	root := t.TempDir()
	b, err := directory.Open(root, directory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := t.Context()
	if _, err := b.Store(ctx, "a", strings.NewReader("x"), backends.StoreOptions{Size: 1}); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(filepath.Join(root, "a"), filepath.Join(root, "b")); err != nil {
		t.Fatal(err)
	}
	if err := b.Rename(ctx, "a", "b", backends.Unconditional, backends.Unconditional); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Stat(ctx, "a"); !errors.Is(err, backends.ErrNotFound) {
		t.Errorf("a after its rename to b: %v, want not found", err)
	}
	if got, err := os.ReadFile(filepath.Join(root, "b")); err != nil || string(got) != "x" {
		t.Errorf("b holds %q, %v", got, err)
	}
	// Renamed onto itself, a name stays.
	if err := b.Rename(ctx, "b", "b", backends.Unconditional, backends.Unconditional); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Stat(ctx, "b"); err != nil {
		t.Errorf("b after its rename onto itself: %v", err)
	}
}

// Whether labels are kept is a property of the filesystem: a session file
// that cannot be made for a moment (here a file where the live directory
// goes) does not make it "no", which would turn the export guard off.
func TestRecordsLabelsDespiteFailedSession(t *testing.T) {
	root := t.TempDir()
	b, err := directory.Open(root, directory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	live := filepath.Join(root, directory.LiveDir)
	if err := os.WriteFile(live, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	blocked := backends.RecordsLabels(b)
	if err := os.Remove(live); err != nil {
		t.Fatal(err)
	}
	if free := backends.RecordsLabels(b); blocked != free {
		t.Errorf("RecordsLabels is %v while the session file cannot be made, %v once it can", blocked, free)
	}
}

// A guarded remove that cannot start its session (something other than a
// directory where the session directory goes) leaves the file and fails,
// never as not found: the program would report that as already removed.
func TestRemoveWithoutSessionFails(t *testing.T) {
	root := t.TempDir()
	first := open(t, root, directory.Options{})
	cid := store(t, first, "f", "precious")
	first.Close()
	if err := os.Symlink("nowhere", filepath.Join(root, directory.LiveDir)); err != nil {
		t.Fatal(err)
	}
	b := open(t, root, directory.Options{})
	err := b.Remove(t.Context(), "f", backends.Matches(cid))
	if err == nil || errors.Is(err, backends.ErrNotFound) {
		t.Errorf("Remove = %v, want a failure other than not found", err)
	}
	wantFile(t, filepath.Join(root, "f"), "precious")
}

// A file where the destination needs a directory refuses a rename, and
// does not say the present source is absent (RenameExport takes that as a
// rename already done).
func TestRenameOntoFileInTheWay(t *testing.T) {
	root := t.TempDir()
	b := open(t, root, directory.Options{})
	store(t, b, "a", "aaa")
	store(t, b, "file", "f")
	err := b.Rename(t.Context(), "a", "file/x", backends.Unconditional, backends.Unconditional)
	if err == nil || errors.Is(err, backends.ErrNotFound) || !strings.Contains(err.Error(), "in the way") {
		t.Errorf("Rename = %v, want a failure saying a file is in the way", err)
	}
	wantFile(t, filepath.Join(root, "a"), "aaa")
}

// A directory holds no content (Stat finds nothing), so expecting nothing
// there and finding one is no conflict over content but a refusal, as for
// an unconditional store or rename onto it.
func TestNothingThereOntoDirectory(t *testing.T) {
	root := t.TempDir()
	b := open(t, root, directory.Options{})
	store(t, b, "a", "aaa")
	if err := os.MkdirAll(filepath.Join(root, "dir", "sub"), 0o777); err != nil {
		t.Fatal(err)
	}
	_, err := b.Store(t.Context(), "dir", strings.NewReader(""), backends.StoreOptions{Size: 0, If: backends.NothingThere})
	wantClass(t, err, backends.ErrRefused, "a directory is in the way")
	err = b.Rename(t.Context(), "a", "dir", backends.Unconditional, backends.NothingThere)
	wantClass(t, err, backends.ErrRefused, "a directory is in the way")
}

// An empty directory where a file is to go holds nothing anyone wrote: a
// store or rename removes it (as git-annex would have, had guarded export
// not left it for another program's files, moved away since) and puts the
// file there. A directory that is not empty stays, with what is in it.
func TestEmptyDirectoryInTheWay(t *testing.T) {
	for _, cond := range []backends.Condition{backends.Unconditional, backends.NothingThere} {
		root := t.TempDir()
		b := open(t, root, directory.Options{})
		ctx := t.Context()
		for _, d := range []string{"d", "e", "full"} {
			if err := os.Mkdir(filepath.Join(root, d), 0o777); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(root, "full", "theirs"), []byte("theirs"), 0o666); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Store(ctx, "d", strings.NewReader("dd"), backends.StoreOptions{Size: 2, If: cond}); err != nil {
			t.Fatalf("Store onto an empty directory (%v): %v", cond, err)
		}
		store(t, b, "a", "aaa")
		if err := b.Rename(ctx, "a", "e", backends.Unconditional, cond); err != nil {
			t.Fatalf("Rename onto an empty directory (%v): %v", cond, err)
		}
		_, err := b.Store(ctx, "full", strings.NewReader("x"), backends.StoreOptions{Size: 1, If: cond})
		wantClass(t, err, backends.ErrRefused, "a directory is in the way")
		wantFile(t, filepath.Join(root, "d"), "dd")
		wantFile(t, filepath.Join(root, "e"), "aaa")
		wantFile(t, filepath.Join(root, "full", "theirs"), "theirs")
		wantEntries(t, root, "d", "e", "full/", "full/theirs")
	}
}

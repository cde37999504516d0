package backendtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"testing/iotest"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
)

var sizes = []int{0, 1, 1<<20 + 1}

func testStoreSizes(t *testing.T, newHarness HarnessMaker) {
	for _, size := range sizes {
		t.Run(fmt.Sprintf("size=%d", size), func(t *testing.T) {
			f := newFixture(t, newHarness)
			data := content("sizes", size)
			cid := f.store("f", data)
			if got := f.wantContent("f", data); got != cid {
				t.Errorf("Store returned CID %q, the content has %q", cid, got)
			}
			f.wantEntries("f")
		})
	}
}

func testStoreUnknownSize(t *testing.T, f *fixture) {
	for _, size := range sizes {
		name := fmt.Sprintf("d/unknown%d", size)
		data := content(name, size)
		// Hide bytes.Reader's WriterTo and Len so the backend cannot learn the size.
		r := struct{ io.Reader }{bytes.NewReader(data)}
		cid, err := f.b.Store(f.ctx, name, r, backends.StoreOptions{Size: -1})
		if err != nil {
			t.Fatalf("Store(%q) with unknown size: %v", name, err)
		}
		if got := f.wantContent(name, data); got != cid {
			t.Errorf("Store(%q) returned CID %q, the content has %q", name, cid, got)
		}
	}
	f.wantEntries("d/unknown0", "d/unknown1", "d/unknown1048577")
}

func testStoreReplaces(t *testing.T, f *fixture) {
	for _, name := range []string{"f", "d/e/f"} {
		cid1 := f.store(name, content("v1", 10))
		cid2 := f.store(name, content("v2", 20))
		f.wantContent(name, content("v2", 20))
		cid3 := f.store(name, content("v3", 20))
		f.wantContent(name, content("v3", 20))
		if cid1 == cid2 || cid2 == cid3 || cid1 == cid3 {
			t.Errorf("successive stores under %q returned CIDs %q, %q, %q; want all different", name, cid1, cid2, cid3)
		}
	}
	f.wantEntries("f", "d/e/f")
}

func testStoreShortReader(t *testing.T, f *fixture) {
	testStoreMiscount(t, f, 5)
}

func testStoreLongReader(t *testing.T, f *fixture) {
	testStoreMiscount(t, f, 15)
}

// testStoreMiscount stores n bytes while announcing 10.
func testStoreMiscount(t *testing.T, f *fixture, n int) {
	old := content("old", 10)
	f.store("old", old)
	for _, name := range []string{"new", "new/dir/file", "old"} {
		_, err := f.b.Store(f.ctx, name, bytes.NewReader(content("miscount", n)), backends.StoreOptions{Size: 10})
		wantUnclassified(t, err, name)
	}
	f.wantAbsent("new")
	f.wantAbsent("new/dir/file")
	f.wantContent("old", old)
	f.wantEntries("old")
}

// errSource is a source's failure that, taken for the backend's own,
// would read as "not found": a local file that vanished.
var errSource error = &fs.PathError{Op: "read", Path: "/local/source", Err: syscall.ENOENT}

func testStoreFailingReader(t *testing.T, f *fixture) {
	old := content("old", 3000)
	f.store("old", old)
	for _, name := range []string{"new", "new/dir/file", "old"} {
		for _, size := range []int64{-1, 3000} {
			r := io.MultiReader(bytes.NewReader(content("partial", 1000)), iotest.ErrReader(errSource))
			_, err := f.b.Store(f.ctx, name, r, backends.StoreOptions{Size: size})
			if !errors.Is(err, errSource) {
				t.Errorf("Store(%q) from a failing reader: got %v, want an error wrapping %q", name, err, errSource)
			}
			wantUnclassified(t, err, name)
		}
	}
	f.wantAbsent("new")
	f.wantAbsent("new/dir/file")
	f.wantContent("old", old)
	f.wantEntries("old")
}

// gatedReader yields first, then blocks until release is closed before
// yielding rest: a slow upload caught in the middle.
type gatedReader struct {
	first, rest []byte
	reached     chan struct{} // closed once first is consumed
	release     chan struct{}
	once        sync.Once
}

func (g *gatedReader) Read(p []byte) (int, error) {
	if len(g.first) > 0 {
		n := copy(p, g.first)
		g.first = g.first[n:]
		return n, nil
	}
	g.once.Do(func() { close(g.reached) })
	<-g.release
	if len(g.rest) == 0 {
		return 0, io.EOF
	}
	n := copy(p, g.rest)
	g.rest = g.rest[n:]
	return n, nil
}

type storeResult struct {
	cid backends.CID
	err error
}

// startGatedStore starts storing data with label under name and returns
// once the store has consumed half of it and is blocked. finish lets it
// complete and returns its result; it is safe to call more than once, and
// the test calls it on the way out in any case, so no store outlives the
// harness.
func (f *fixture) startGatedStore(name string, data []byte, label string) (finish func() storeResult) {
	f.t.Helper()
	g := &gatedReader{first: data[:len(data)/2], rest: data[len(data)/2:], reached: make(chan struct{}), release: make(chan struct{})}
	done := make(chan storeResult, 1)
	go func() {
		cid, err := f.b.Store(f.ctx, name, g, backends.StoreOptions{Size: int64(len(data)), Label: label})
		done <- storeResult{cid, err}
	}()
	finish = sync.OnceValue(func() storeResult {
		close(g.release)
		return <-done
	})
	f.t.Cleanup(func() { finish() })
	select {
	case <-g.reached:
	case res := <-done:
		done <- res // for finish
		f.t.Fatalf("Store(%q) returned (%q, %v) before reading its content", name, res.cid, res.err)
	}
	return finish
}

func testStoreVisibility(t *testing.T, f *fixture) {
	data := content("slow", 200000)
	finish := f.startGatedStore("d/slow", data, "")
	f.wantAbsent("d/slow")
	f.wantListed("")
	f.wantListed("d")
	res := finish()
	if res.err != nil {
		t.Fatalf("Store: %v", res.err)
	}
	if cid := f.wantContent("d/slow", data); cid != res.cid {
		t.Errorf("Store returned CID %q, the content has %q", res.cid, cid)
	}
	f.wantEntries("d/slow")
}

func testStoreVisibilityOverExisting(t *testing.T, f *fixture) {
	old := content("old", 1000)
	oldCID := f.storeLabel("d/slow", old, "old label")
	data := content("slow", 200000)
	finish := f.startGatedStore("d/slow", data, "new label")
	if cid := f.wantContent("d/slow", old); cid != oldCID {
		t.Errorf("during a store, the old content's CID changed from %q to %q", oldCID, cid)
	}
	f.wantListed("", "d/slow")
	f.wantLabel("d/slow", "old label")
	res := finish()
	if res.err != nil {
		t.Fatalf("Store: %v", res.err)
	}
	if cid := f.wantContent("d/slow", data); cid != res.cid {
		t.Errorf("Store returned CID %q, the content has %q", res.cid, cid)
	}
	f.wantLabel("d/slow", "new label")
	f.wantEntries("d/slow")
}

// testStoreProgress checks that a store reports its progress: at least
// once, never backwards, within the content, and the whole at the end.
func testStoreProgress(t *testing.T, f *fixture) {
	data := content("progress", 1<<20+1)
	for _, size := range []int64{int64(len(data)), -1} {
		name := fmt.Sprintf("d/size%d", size)
		var mu sync.Mutex
		var calls []int64
		progress := func(n int64) {
			mu.Lock()
			defer mu.Unlock()
			calls = append(calls, n)
		}
		r := struct{ io.Reader }{bytes.NewReader(data)}
		cid, err := f.b.Store(f.ctx, name, r, backends.StoreOptions{Size: size, Progress: progress})
		if err != nil {
			t.Fatalf("Store(%q): %v", name, err)
		}
		if got := f.wantContent(name, data); got != cid {
			t.Errorf("Store(%q) returned CID %q, the content has %q", name, cid, got)
		}
		mu.Lock()
		if len(calls) == 0 {
			t.Errorf("Store(%q) of %d bytes never called Progress", name, len(data))
		} else if last := calls[len(calls)-1]; last != int64(len(data)) ||
			!slices.IsSorted(calls) || calls[0] < 0 {
			t.Errorf("Store(%q) of %d bytes reported progress %v: want growing counts ending at the size", name, len(data), calls)
		}
		mu.Unlock()
	}
}

// cancelingReader cancels a store's context when r is exhausted: put
// before the rest of the content, part way through the store.
type cancelingReader struct {
	r      io.Reader
	cancel context.CancelFunc
}

func (c *cancelingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err == io.EOF {
		c.cancel()
	}
	return n, err
}

// testStoreCanceled cancels stores part way: one that fails leaves
// everything as it was, no temporary and no directory included; one that
// completes anyway stored the whole content.
func testStoreCanceled(t *testing.T, f *fixture) {
	old := content("old", 1000)
	f.store("d/old", old)
	data := content("canceled", 1<<20+1)
	for _, name := range []string{"d/old", "d/new", "n/e/w"} {
		ctx, cancel := context.WithCancel(f.ctx)
		r := io.MultiReader(&cancelingReader{bytes.NewReader(data[:len(data)/2]), cancel}, bytes.NewReader(data[len(data)/2:]))
		cid, err := f.b.Store(ctx, name, r, backends.StoreOptions{Size: int64(len(data))})
		cancel()
		switch {
		case err == nil:
			if got := f.wantContent(name, data); got != cid {
				t.Errorf("canceled Store(%q) returned CID %q, the content has %q", name, cid, got)
			}
			if err := f.b.Remove(f.ctx, name, backends.Matches(cid)); err != nil {
				t.Fatalf("Remove(%q): %v", name, err)
			}
			if name == "d/old" {
				f.store(name, old)
			}
		case !errors.Is(err, context.Canceled):
			t.Errorf("canceled Store(%q): got %v, want success or context.Canceled", name, err)
		}
	}
	f.wantContent("d/old", old)
	f.wantAbsent("d/new")
	f.wantAbsent("n/e/w")
	f.wantEntries("d/old")
}

// testStoreFromFile stores from an *os.File, as the program does, which a
// backend may copy between files in the kernel: the byte count is checked
// on that path too.
func testStoreFromFile(t *testing.T, f *fixture) {
	data := content("file", 1<<20+1)
	p := filepath.Join(t.TempDir(), "source")
	if err := os.WriteFile(p, data, 0o666); err != nil {
		t.Fatal(err)
	}
	storeFile := func(name string, size int64) (backends.CID, error) {
		t.Helper()
		file, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer file.Close()
		return f.b.Store(f.ctx, name, file, backends.StoreOptions{Size: size})
	}
	for _, size := range []int64{int64(len(data)), -1} {
		name := fmt.Sprintf("d/size%d", size)
		cid, err := storeFile(name, size)
		if err != nil {
			t.Fatalf("Store(%q) from a file: %v", name, err)
		}
		if got := f.wantContent(name, data); got != cid {
			t.Errorf("Store(%q) returned CID %q, the content has %q", name, cid, got)
		}
	}
	for _, size := range []int64{int64(len(data)) - 5, int64(len(data)) + 5} {
		name := fmt.Sprintf("d/miscount%d", size)
		_, err := storeFile(name, size)
		wantUnclassified(t, err, name)
		f.wantAbsent(name)
	}
	f.wantEntries(fmt.Sprintf("d/size%d", len(data)), "d/size-1")
}

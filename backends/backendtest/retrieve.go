package backendtest

import (
	"bytes"
	"errors"
	"io/fs"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
)

func testAbsent(t *testing.T, f *fixture) {
	f.store("d/present", content("p", 10))
	for _, name := range []string{"nope", "d/nope", "no/such/dir/file", "d/present/below"} {
		f.wantAbsent(name)
	}
}

func testStatOfDirectory(t *testing.T, f *fixture) {
	f.store("d/e/x", content("x", 10))
	f.wantAbsent("d")
	f.wantAbsent("d/e")
	f.wantEntries("d/e/x")
}

func testCIDStable(t *testing.T, f *fixture) {
	data := content("stable", 1000)
	cid := f.store("d/f", data)
	for range 3 {
		if got := f.stat("d/f").CID; got != cid {
			t.Fatalf("Stat CID = %q, Store returned %q", got, cid)
		}
		if got := f.wantContent("d/f", data); got != cid {
			t.Fatalf("Retrieve CID = %q, Store returned %q", got, cid)
		}
		if got := f.list("d")["d/f"].CID; got != cid {
			t.Fatalf("List CID = %q, Store returned %q", got, cid)
		}
	}
}

func testCIDChangesOutOfBand(t *testing.T, f *fixture) {
	cid1 := f.store("f", []byte("aaaa"))
	f.write("f", []byte("bbbb")) // same size
	cid2 := f.wantContent("f", []byte("bbbb"))
	if cid2 == cid1 {
		t.Fatalf("CID %q unchanged after an out-of-band modification of the same size", cid1)
	}
	wantPinConflict(t, f, "f", cid1)
	f.write("f", []byte("cc"))
	cid3 := f.wantContent("f", []byte("cc"))
	if cid3 == cid2 || cid3 == cid1 {
		t.Fatalf("CID %q after an out-of-band modification equals an earlier one (%q, %q)", cid3, cid1, cid2)
	}
	wantPinConflict(t, f, "f", cid2)
	var buf bytes.Buffer
	if cid, err := f.b.Retrieve(f.ctx, "f", cid3, &buf); err != nil || cid != cid3 || buf.String() != "cc" {
		t.Fatalf("Retrieve pinned to the current CID: got (%q, %v) and %q, want (%q, nil) and %q", cid, err, buf.Bytes(), cid3, "cc")
	}
}

// wantPinConflict checks that Retrieve pinned to the stale pin fails
// before writing anything.
func wantPinConflict(t *testing.T, f *fixture, name string, pin backends.CID) {
	t.Helper()
	var buf bytes.Buffer
	_, err := f.b.Retrieve(f.ctx, name, pin, &buf)
	wantClass(t, err, backends.ErrConflict, name)
	if buf.Len() > 0 {
		t.Errorf("Retrieve(%q) pinned to stale %q wrote %d bytes", name, pin, buf.Len())
	}
}

func testRetrievePinned(t *testing.T, f *fixture) {
	data := content("pinned", 5000)
	cid := f.store("p", data)
	var buf bytes.Buffer
	got, err := f.b.Retrieve(f.ctx, "p", cid, &buf)
	if err != nil || got != cid || !bytes.Equal(buf.Bytes(), data) {
		t.Fatalf("Retrieve pinned to %q: got (%q, %v) and %s", cid, got, err, describe(buf.Bytes()))
	}
	wantPinConflict(t, f, "p", cid+"x")
	// Storing the same bytes again may keep the CID (a content hash, say);
	// other bytes of the same size may not.
	cid2 := f.store("p", content("pinned again", 5000))
	if cid2 == cid {
		t.Fatalf("storing other content returned the same CID %q", cid)
	}
	wantPinConflict(t, f, "p", cid)
}

func testOutOfBandFiles(t *testing.T, f *fixture) {
	data := content("oob", 300)
	f.write("o/x", data)
	cid := f.wantContent("o/x", data)
	info := f.stat("o/x")
	if info.Label != "" {
		t.Errorf("Stat of a file written out of band has label %q, want none", info.Label)
	}
	f.wantListed("", "o/x")
	if err := f.h.Delete(f.ctx, "o/x"); err != nil {
		t.Fatalf("deleting out of band: %v", err)
	}
	f.wantAbsent("o/x")
	err := f.b.Remove(f.ctx, "o/x", backends.Matches(cid))
	wantClass(t, err, backends.ErrConflict, "o/x")
}

// wantLabel checks Stat and List report label for name, or none when the
// backend records no labels.
func (f *fixture) wantLabel(name, label string) {
	f.t.Helper()
	if !f.props.Labels {
		label = "" // what a backend without labels must report
	}
	if got := f.stat(name).Label; got != label {
		f.t.Errorf("Stat(%q).Label = %q, want %q", name, got, label)
	}
	if got := f.list("")[name].Label; got != label {
		f.t.Errorf("List yields label %q for %q, want %q", got, name, label)
	}
}

func testLabels(t *testing.T, f *fixture) {
	const label1 = "SHA256E-s4--0123456789abcdef.txt"
	const label2 = "WORM-s2-m1700000000--x"
	wantLabel := f.wantLabel
	f.storeLabel("d/f", []byte("data"), label1)
	wantLabel("d/f", label1)
	f.store("d/f", []byte("data"))
	wantLabel("d/f", "")
	f.storeLabel("d/f", []byte("xy"), label2)
	wantLabel("d/f", label2)
	f.write("d/f", []byte("zz"))
	wantLabel("d/f", "")
	// A rename keeps the label, natively and through the fallback.
	for _, b := range []backends.Backend{f.b, plain{f.b}} {
		f.storeLabel("g", []byte("data"), label1)
		if err := backends.Rename(f.ctx, b, "g", "h", backends.Unconditional, backends.Unconditional); err != nil {
			t.Fatalf("Rename: %v", err)
		}
		wantLabel("h", label1)
		if _, err := f.h.Read(f.ctx, "g"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("after Rename, reading the source out of band: got %v, want not exist", err)
		}
	}
}

// changingWriter collects what a Retrieve writes and, when the first bytes
// arrive, has change run, which modifies the content behind the backend's
// back.
type changingWriter struct {
	buf    bytes.Buffer
	change func()
	once   sync.Once
}

func (w *changingWriter) Write(p []byte) (int, error) {
	w.once.Do(w.change)
	return w.buf.Write(p)
}

// testRetrieveDuringChange modifies the content in the middle of a
// Retrieve: it must fail with ErrConflict, or write either the old content
// whole and return its CID, or the new one whole and return its CID; never
// a mix.
func testRetrieveDuringChange(t *testing.T, f *fixture) {
	old, other := content("old", 1<<20+1), content("other", 1<<20+1)
	oldCID := f.store("d/f", old)
	// Storage may hold the write back until the read is done: wait for it
	// only a while, so the read can end first.
	written := make(chan error, 1)
	w := &changingWriter{change: func() {
		go func() { written <- f.h.Write(f.ctx, "d/f", other) }()
		select {
		case err := <-written:
			written <- err
		case <-time.After(2 * time.Second):
		}
	}}
	cid, err := f.b.Retrieve(f.ctx, "d/f", "", w)
	if werr := <-written; werr != nil {
		t.Fatalf("writing %q out of band: %v", "d/f", werr)
	}
	newCID := f.wantContent("d/f", other)
	switch {
	case err != nil:
		wantClass(t, err, backends.ErrConflict, "d/f")
	case bytes.Equal(w.buf.Bytes(), old):
		if cid != oldCID {
			t.Errorf("Retrieve wrote the old content, whose CID is %q, and returned %q", oldCID, cid)
		}
	case bytes.Equal(w.buf.Bytes(), other):
		if cid != newCID {
			t.Errorf("Retrieve wrote the new content, whose CID is %q, and returned %q", newCID, cid)
		}
	default:
		t.Errorf("Retrieve during a modification wrote %s, neither the old content nor the new, and returned CID %q without error", describe(w.buf.Bytes()), cid)
	}
}

// errSink is a writer's failure that, taken for the backend's own, would
// read as "not found": a local file whose directory vanished.
var errSink error = &fs.PathError{Op: "write", Path: "/local/destination", Err: syscall.ENOENT}

// failingWriter takes n bytes, then fails.
type failingWriter struct{ n int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		n := w.n
		w.n = 0
		return n, errSink
	}
	w.n -= len(p)
	return len(p), nil
}

// testRetrieveFailingWriter checks that a Retrieve whose writer fails
// reports that failure, which says nothing about the name: neither absent
// nor changed, nor the storage unreachable.
func testRetrieveFailingWriter(t *testing.T, f *fixture) {
	data := content("sink", 1<<20+1)
	f.store("d/f", data)
	_, err := f.b.Retrieve(f.ctx, "d/f", "", &failingWriter{n: 1000})
	if !errors.Is(err, errSink) {
		t.Errorf("Retrieve into a failing writer: got %v, want an error wrapping %q", err, errSink)
	}
	if errors.Is(err, backends.ErrUnreachable) {
		t.Errorf("Retrieve into a failing writer: got %q, which must not be %v", err, backends.ErrUnreachable)
	}
	wantUnclassified(t, err, "d/f")
	f.wantContent("d/f", data)
}

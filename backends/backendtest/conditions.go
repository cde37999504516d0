package backendtest

import (
	"testing"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
)

func testStoreNothingThere(t *testing.T, f *fixture) {
	for _, name := range []string{"n", "d/e/n"} {
		first := content("first", 10)
		if _, err := f.storeIf(name, first, backends.NothingThere); err != nil {
			t.Fatalf("Store(%q) with nothing there: %v", name, err)
		}
		_, err := f.storeIf(name, content("second", 20), backends.NothingThere)
		wantClass(t, err, backends.ErrConflict, name)
		f.wantContent(name, first)
	}
	f.write("oob", []byte("other program"))
	_, err := f.storeIf("oob", []byte("mine"), backends.NothingThere)
	wantClass(t, err, backends.ErrConflict, "oob")
	f.wantContent("oob", []byte("other program"))
	f.wantEntries("n", "d/e/n", "oob")
}

func testStoreMatches(t *testing.T, f *fixture) {
	v := func(i int) []byte { return content("v", 100+i) }
	cid1 := f.store("d/f", v(1))
	cid2, err := f.storeIf("d/f", v(2), backends.Matches(cid1))
	if err != nil {
		t.Fatalf("Store matching the current CID: %v", err)
	}
	f.wantContent("d/f", v(2))
	_, err = f.storeIf("d/f", v(3), backends.Matches(cid1))
	wantClass(t, err, backends.ErrConflict, "d/f")
	f.wantContent("d/f", v(2))
	if _, err := f.storeIf("d/f", v(3), backends.Matches(cid2)); err != nil {
		t.Fatalf("Store matching the current CID: %v", err)
	}
	f.wantContent("d/f", v(3))

	// Modified behind the backend's back: the CID it returned is stale.
	cid4 := f.store("d/f", v(4))
	f.write("d/f", content("other program", 104))
	_, err = f.storeIf("d/f", v(5), backends.Matches(cid4))
	wantClass(t, err, backends.ErrConflict, "d/f")
	f.wantContent("d/f", content("other program", 104))

	// Nothing there matches no CID.
	_, err = f.storeIf("d/g", v(6), backends.Matches(cid4))
	wantClass(t, err, backends.ErrConflict, "d/g")
	f.wantAbsent("d/g")
	f.wantEntries("d/f")
}

func testRemoveConditions(t *testing.T, f *fixture) {
	cid1 := f.store("d/f", content("v1", 10))
	cid2 := f.store("d/f", content("v2", 10))
	err := f.b.Remove(f.ctx, "d/f", backends.Matches(cid1))
	wantClass(t, err, backends.ErrConflict, "d/f")
	f.wantContent("d/f", content("v2", 10))
	err = f.b.Remove(f.ctx, "d/f", backends.NothingThere)
	wantClass(t, err, backends.ErrConflict, "d/f")
	f.wantContent("d/f", content("v2", 10))
	if err := f.b.Remove(f.ctx, "d/f", backends.Matches(cid2)); err != nil {
		t.Fatalf("Remove matching the current CID: %v", err)
	}
	f.wantAbsent("d/f")
	if err := f.b.Remove(f.ctx, "d/f", backends.NothingThere); err != nil {
		t.Fatalf("Remove of an absent name expecting nothing: %v", err)
	}
	err = f.b.Remove(f.ctx, "d/f", backends.Matches(cid2))
	wantClass(t, err, backends.ErrConflict, "d/f")

	// Modified behind the backend's back: the content survives.
	cid3 := f.store("g", content("v3", 10))
	f.write("g", content("other program", 10))
	err = f.b.Remove(f.ctx, "g", backends.Matches(cid3))
	wantClass(t, err, backends.ErrConflict, "g")
	f.wantContent("g", content("other program", 10))
	f.wantEntries("g")
}

package backendtest

import (
	"testing"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
)

func (f *fixture) rename(from, to string) {
	f.t.Helper()
	if err := backends.Rename(f.ctx, f.b, from, to, backends.Unconditional); err != nil {
		f.t.Fatalf("Rename(%q, %q): %v", from, to, err)
	}
}

func setMode(f *fixture, mode string) {
	if mode == "fallback" {
		f.withoutOptional()
	}
}

func testRenameToNewName(t *testing.T, f *fixture, mode string) {
	setMode(f, mode)
	data := content("a", 1000)
	f.store("a", data)
	f.rename("a", "b")
	f.wantAbsent("a")
	f.wantContent("b", data)
	f.wantEntries("b")
}

func testRenameIntoNewDirectory(t *testing.T, f *fixture, mode string) {
	setMode(f, mode)
	data := content("a", 1000)
	f.store("s/t/a", data)
	f.store("s/keep", data)
	f.rename("s/t/a", "x/y/z/b")
	f.wantAbsent("s/t/a")
	f.wantContent("x/y/z/b", data)
	f.wantEntries("x/y/z/b", "s/keep")
	f.rename("x/y/z/b", "top")
	f.wantContent("top", data)
	f.wantEntries("top", "s/keep")
}

// testRenameSwap exchanges two names the way git-annex does, through a
// temporary name of its own.
func testRenameSwap(t *testing.T, f *fixture, mode string) {
	setMode(f, mode)
	one, two := content("one", 100), content("two", 200)
	f.store("d/a", one)
	f.store("d/b", two)
	const tmp = ".git-annex-tmp-content-SHA256E-s100--1"
	f.rename("d/a", tmp)
	f.rename("d/b", "d/a")
	f.rename(tmp, "d/b")
	f.wantContent("d/a", two)
	f.wantContent("d/b", one)
	f.wantAbsent(tmp)
	f.wantEntries("d/a", "d/b")
}

func testRenameOverExisting(t *testing.T, f *fixture, mode string) {
	setMode(f, mode)
	one, two := content("one", 100), content("two", 200)
	f.store("a", one)
	f.store("b", two)
	f.rename("a", "b")
	f.wantAbsent("a")
	f.wantContent("b", one)
	f.store("d/a", two)
	f.store("e/b", one)
	f.rename("d/a", "e/b")
	f.wantContent("e/b", two)
	f.wantEntries("b", "e/b")
}

func testRenameAbsent(t *testing.T, f *fixture, mode string) {
	setMode(f, mode)
	f.store("d/x", content("x", 10))
	for _, from := range []string{"nope", "d/nope", "no/such/dir"} {
		err := backends.Rename(f.ctx, f.b, from, "to", backends.Unconditional)
		wantClass(t, err, backends.ErrNotFound, from)
	}
	f.wantEntries("d/x")
}

func testRenameSameName(t *testing.T, f *fixture, mode string) {
	setMode(f, mode)
	data := content("a", 10)
	f.store("d/a", data)
	f.rename("d/a", "d/a")
	f.wantContent("d/a", data)
	f.wantEntries("d/a")
}

func testRenameConditions(t *testing.T, f *fixture, mode string) {
	setMode(f, mode)
	v1, v2 := content("v1", 10), content("v2", 10)
	cid1 := f.store("d/a", v1)
	cid2 := f.store("d/a", v2)
	for _, cond := range []backends.Condition{backends.Matches(cid1), backends.NothingThere} {
		err := backends.Rename(f.ctx, f.b, "d/a", "e/b", cond)
		wantClass(t, err, backends.ErrConflict, "d/a")
		f.wantContent("d/a", v2)
		f.wantAbsent("e/b")
	}
	if err := backends.Rename(f.ctx, f.b, "d/a", "e/b", backends.Matches(cid2)); err != nil {
		t.Fatalf("Rename matching the current CID: %v", err)
	}
	f.wantAbsent("d/a")
	f.wantContent("e/b", v2)
	err := backends.Rename(f.ctx, f.b, "d/a", "e/c", backends.Matches(cid2))
	wantClass(t, err, backends.ErrConflict, "d/a")

	// Modified behind the backend's back: the CID it returned is stale.
	cid3 := f.store("g", v1)
	f.write("g", v2)
	err = backends.Rename(f.ctx, f.b, "g", "h", backends.Matches(cid3))
	wantClass(t, err, backends.ErrConflict, "g")
	f.wantContent("g", v2)
	f.wantAbsent("h")
	f.wantEntries("e/b", "g")
}

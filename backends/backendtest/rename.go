package backendtest

import (
	"testing"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
)

func (f *fixture) rename(from, to string) {
	f.t.Helper()
	if err := backends.Rename(f.ctx, f.b, from, to, backends.Unconditional, backends.Unconditional); err != nil {
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
		err := backends.Rename(f.ctx, f.b, from, "to", backends.Unconditional, backends.Unconditional)
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
		err := backends.Rename(f.ctx, f.b, "d/a", "e/b", cond, backends.Unconditional)
		wantClass(t, err, backends.ErrConflict, "d/a")
		f.wantContent("d/a", v2)
		f.wantAbsent("e/b")
	}
	if err := backends.Rename(f.ctx, f.b, "d/a", "e/b", backends.Matches(cid2), backends.Unconditional); err != nil {
		t.Fatalf("Rename matching the current CID: %v", err)
	}
	f.wantAbsent("d/a")
	f.wantContent("e/b", v2)
	err := backends.Rename(f.ctx, f.b, "d/a", "e/c", backends.Matches(cid2), backends.Unconditional)
	wantClass(t, err, backends.ErrConflict, "d/a")

	// Modified behind the backend's back: the CID it returned is stale.
	cid3 := f.store("g", v1)
	f.write("g", v2)
	err = backends.Rename(f.ctx, f.b, "g", "h", backends.Matches(cid3), backends.Unconditional)
	wantClass(t, err, backends.ErrConflict, "g")
	f.wantContent("g", v2)
	f.wantAbsent("h")
	f.wantEntries("e/b", "g")
}

// testRenameDestinationConditions checks the condition on to: a rename that
// would replace a file it was not told about changes nothing.
func testRenameDestinationConditions(t *testing.T, f *fixture, mode string) {
	setMode(f, mode)
	one, two, three := content("one", 100), content("two", 200), content("three", 300)
	f.store("d/a", one)
	stale := f.store("e/b", three)
	cur := f.store("e/b", two)
	rename := func(from, to string, toCond backends.Condition) error {
		return backends.Rename(f.ctx, f.b, from, to, backends.Unconditional, toCond)
	}
	for _, toCond := range []backends.Condition{backends.NothingThere, backends.Matches(stale)} {
		wantClass(t, rename("d/a", "e/b", toCond), backends.ErrConflict, "e/b")
		f.wantContent("d/a", one)
		f.wantContent("e/b", two)
		f.wantEntries("d/a", "e/b")
	}
	// Something expected where nothing is.
	wantClass(t, rename("d/a", "e/c", backends.Matches(cur)), backends.ErrConflict, "e/c")
	wantClass(t, rename("d/a", "x/c", backends.Matches(cur)), backends.ErrConflict, "x/c")
	f.wantAbsent("e/c")
	f.wantAbsent("x/c")
	f.wantEntries("d/a", "e/b")

	// Written behind the backend's back: the CID it returned is stale.
	f.write("e/b", three)
	wantClass(t, rename("d/a", "e/b", backends.Matches(cur)), backends.ErrConflict, "e/b")
	f.wantContent("d/a", one)
	cur = f.wantContent("e/b", three)
	f.wantEntries("d/a", "e/b")

	if err := rename("d/a", "e/b", backends.Matches(cur)); err != nil {
		t.Fatalf("Rename onto the matching content: %v", err)
	}
	f.wantAbsent("d/a")
	f.wantContent("e/b", one)
	f.wantEntries("e/b")

	if err := rename("e/b", "n/e/w", backends.NothingThere); err != nil {
		t.Fatalf("Rename onto nothing, expecting nothing: %v", err)
	}
	f.wantContent("n/e/w", one)
	f.wantEntries("n/e/w")

	f.store("g", two)
	if err := rename("g", "n/e/w", backends.Unconditional); err != nil {
		t.Fatalf("Rename unconditionally over existing: %v", err)
	}
	f.wantAbsent("g")
	f.wantContent("n/e/w", two)
	f.wantEntries("n/e/w")
}

// testRenameSameNameDestination checks that when from and to are one name,
// toCond is checked against the one content, and nothing moves.
func testRenameSameNameDestination(t *testing.T, f *fixture, mode string) {
	setMode(f, mode)
	data := content("a", 10)
	cid := f.store("d/a", data)
	for _, toCond := range []backends.Condition{backends.NothingThere, backends.Matches(cid + "x")} {
		err := backends.Rename(f.ctx, f.b, "d/a", "d/a", backends.Unconditional, toCond)
		wantClass(t, err, backends.ErrConflict, "d/a")
	}
	if err := backends.Rename(f.ctx, f.b, "d/a", "d/a", backends.Matches(cid), backends.Matches(cid)); err != nil {
		t.Fatalf("Rename to the same name, matching: %v", err)
	}
	f.wantContent("d/a", data)
	f.wantEntries("d/a")
}

package backendtest

import (
	"testing"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
)

func (f *fixture) remove(name string) {
	f.t.Helper()
	if err := f.b.Remove(f.ctx, name, backends.Unconditional); err != nil {
		f.t.Fatalf("Remove(%q): %v", name, err)
	}
}

func testRemove(t *testing.T, f *fixture) {
	f.store("f", content("f", 10))
	f.store("d/g", content("g", 10))
	f.remove("f")
	f.wantAbsent("f")
	f.wantContent("d/g", content("g", 10))
	f.wantEntries("d/g")
}

func testRemoveAbsent(t *testing.T, f *fixture) {
	f.store("d/present", content("p", 10))
	for _, name := range []string{"nope", "nope", "no/such/dir", "d/nope", "d/present/below"} {
		f.remove(name)
	}
	f.wantEntries("d/present")
}

func testRemovePrunesDirectories(t *testing.T, f *fixture) {
	f.store("a/b/c/f", content("f", 10))
	f.store("a/g", content("g", 10))
	f.remove("a/b/c/f")
	f.wantEntries("a/g")
	f.remove("a/g")
	f.wantEntries()
}

// testRemoveDirectoryName removes a name under which only a directory is:
// nothing is stored under it, so that succeeds and touches nothing.
func testRemoveDirectoryName(t *testing.T, f *fixture) {
	f.store("d/x", content("x", 10))
	f.remove("d")
	f.wantContent("d/x", content("x", 10))
	f.wantEntries("d/x")
}

func (f *fixture) removeDir(dir string) {
	f.t.Helper()
	if err := backends.RemoveDir(f.ctx, f.b, dir); err != nil {
		f.t.Fatalf("RemoveDir(%q): %v", dir, err)
	}
}

func testRemoveDir(t *testing.T, f *fixture, mode string) {
	if mode == "fallback" {
		f.withoutOptional()
	}
	for _, name := range []string{"d/x", "d/e/y", "d/e/f/z", "dx", "d2/x", "e/d/x"} {
		f.store(name, content(name, 10))
	}
	f.removeDir("d/e")
	f.wantAbsent("d/e/y")
	f.wantAbsent("d/e/f/z")
	f.wantEntries("d/x", "dx", "d2/x", "e/d/x")
	f.removeDir("d")
	f.wantAbsent("d/x")
	f.wantEntries("dx", "d2/x", "e/d/x")
	f.wantContent("dx", content("dx", 10))
}

func testRemoveDirAbsent(t *testing.T, f *fixture, mode string) {
	if mode == "fallback" {
		f.withoutOptional()
	}
	f.store("d/x", content("x", 10))
	f.removeDir("nope")
	f.removeDir("no/such/dir")
	f.removeDir("d/nope")
	f.wantEntries("d/x")
}

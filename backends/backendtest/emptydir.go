package backendtest

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
)

// testRemoveEmptyDir: a directory is removed only when nothing is in it; a
// directory holding anything, stored by the backend or written by someone
// else, fails with ErrConflict and keeps everything.
func testRemoveEmptyDir(t *testing.T, f *fixture, mode string) {
	if mode == "fallback" {
		f.withoutOptional()
	}
	f.store("d/x", content("x", 10))
	f.store("d/e/y", content("y", 10))
	f.write("o/z", content("z", 10))
	for _, dir := range []string{"d", "d/e", "o"} {
		err := backends.RemoveEmptyDir(f.ctx, f.b, dir)
		if !errors.Is(err, backends.ErrConflict) {
			t.Errorf("RemoveEmptyDir(%q) of a directory that holds files = %v, want ErrConflict", dir, err)
		}
	}
	f.wantEntries("d/x", "d/e/y", "o/z")
	f.wantContent("d/e/y", content("y", 10))
	f.wantContent("o/z", content("z", 10))

	// Someone else empties o: the directory itself may stay behind.
	if err := f.h.Delete(f.ctx, "o/z"); err != nil {
		t.Fatal(err)
	}
	f.remove("d/e/y")
	for _, dir := range []string{"o", "d/e", "nope", "d/nope/deeper"} {
		if err := backends.RemoveEmptyDir(f.ctx, f.b, dir); err != nil {
			t.Errorf("RemoveEmptyDir(%q) of an empty or absent directory: %v", dir, err)
		}
	}
	if mode == "fallback" {
		// Without the backend's own removal nothing removes directories;
		// on S3 there are none to remove.
		f.store("o/z", content("z2", 10))
		f.wantContent("o/z", content("z2", 10))
		return
	}
	f.wantEntries("d/x")
	entries, err := f.h.Entries(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, gone := range []string{"o/", "d/e/"} {
		if slices.ContainsFunc(entries, func(e string) bool { return strings.HasSuffix(e, gone) }) {
			t.Errorf("directory %s is still there after RemoveEmptyDir: %q", gone, entries)
		}
	}
	// The names are usable again.
	f.store("o/z", content("z2", 10))
	f.wantContent("o/z", content("z2", 10))
}

func testRemoveEmptyDirInvalid(t *testing.T, f *fixture, mode string) {
	if mode == "fallback" {
		f.withoutOptional()
	}
	for _, dir := range []string{"", "/abs", "a/../b", "../up"} {
		wantClass(t, backends.RemoveEmptyDir(f.ctx, f.b, dir), backends.ErrRefused, dir)
	}
}

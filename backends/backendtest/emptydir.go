package backendtest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
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

// testConcurrentStoreAndRemoveEmptyDir races RemoveEmptyDir of an empty
// directory with a store into it: the store is never lost, and the
// removal either succeeds or fails with ErrConflict.
func testConcurrentStoreAndRemoveEmptyDir(t *testing.T, f *fixture) {
	const rounds = 20
	for i := range rounds {
		// Left empty by someone else, so that it may stay behind.
		f.write("a/e/x", content("x", 10))
		if err := f.h.Delete(f.ctx, "a/e/x"); err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("a/e/y%d", i)
		var wg sync.WaitGroup
		var removeErr, storeErr error
		wg.Go(func() { removeErr = backends.RemoveEmptyDir(f.ctx, f.b, "a/e") })
		wg.Go(func() {
			_, storeErr = f.b.Store(f.ctx, name, bytes.NewReader(content(name, 10)), backends.StoreOptions{Size: 10})
		})
		wg.Wait()
		if storeErr != nil {
			t.Fatalf("round %d: Store: %v", i, storeErr)
		}
		if removeErr != nil && !errors.Is(removeErr, backends.ErrConflict) {
			t.Fatalf("round %d: RemoveEmptyDir: %v, want success or ErrConflict", i, removeErr)
		}
		f.wantContent(name, content(name, 10))
		f.wantEntries(name)
		f.remove(name)
	}
	f.wantEntries()
}

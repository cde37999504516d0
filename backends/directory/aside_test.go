package directory_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
	"github.com/exporttree/git-annex-remote-exporttree/backends/directory"
)

// What a conditional operation that died leaves behind goes back under its
// name at the next Sweep, or, once checked as replaceable ("spent") and
// replaced, is deleted; what a live operation holds, or what cannot be put
// back, is left alone.
func TestSweepRecoversAsideFiles(t *testing.T) {
	root := t.TempDir()
	b := open(t, root, directory.Options{})
	const random = "0123456789abcdef0123456789abcdef"
	aside := func(name string) string {
		dir, base := filepath.Split(name)
		return dir + ".git-annex-exporttree-aside-" + random + "-" + base
	}
	spent := func(name string) string {
		dir, base := filepath.Split(name)
		return dir + ".git-annex-exporttree-spent-" + random + "-" + base
	}
	// Died while the old content was aside: it goes back.
	plant(t, root, aside("d/back.txt"), 0)
	plant(t, root, spent("d/e/checked.txt"), 0)
	// Died after the new content was in place: the spent old one goes, an
	// unchecked one (someone else's write took the name) stays.
	plant(t, root, "replaced.txt", 0)
	plant(t, root, spent("replaced.txt"), 0)
	plant(t, root, "taken.txt", 0)
	plant(t, root, aside("taken.txt"), 0)
	// A live operation's file is not touched.
	unlock := lock(t, plant(t, root, aside("live.txt"), 0))
	defer unlock()
	deadWriter(t, root)

	if err := b.Sweep(t.Context()); err != nil {
		t.Fatal(err)
	}
	wantEntries(t, root, "d/", "d/back.txt", "d/e/", "d/e/checked.txt", "replaced.txt",
		"taken.txt", aside("taken.txt"), aside("live.txt"))
	for _, name := range []string{"d/back.txt", "d/e/checked.txt"} {
		if data, err := os.ReadFile(filepath.Join(root, name)); err != nil || string(data) != "left over" {
			t.Errorf("%s holds %q, %v after recovery", name, data, err)
		}
	}
}

// A conditional store, rename and remove leave no aside file when they
// succeed or fail cleanly.
func TestConditionalOperationsLeaveNoAsideFiles(t *testing.T) {
	root := t.TempDir()
	b := open(t, root, directory.Options{})
	ctx := t.Context()
	store := func(name, data string, cond backends.Condition) (backends.CID, error) {
		return b.Store(ctx, name, strings.NewReader(data), backends.StoreOptions{Size: int64(len(data)), If: cond})
	}
	a, err := store("a", "one", backends.NothingThere)
	if err != nil {
		t.Fatal(err)
	}
	if a, err = store("a", "two", backends.Matches(a)); err != nil {
		t.Fatal(err)
	}
	if _, err := store("a", "three", backends.Matches("stale")); err == nil {
		t.Fatal("store over a mismatched CID succeeded")
	}
	c, err := store("c", "see", backends.NothingThere)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Rename(ctx, "a", "c", backends.Matches(a), backends.Matches(c)); err != nil {
		t.Fatal(err)
	}
	if err := b.Remove(ctx, "c", backends.Matches(a)); err != nil {
		t.Fatal(err)
	}
	wantEntries(t, root)
}

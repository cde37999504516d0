package backendtest

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
)

func testList(t *testing.T, f *fixture) {
	f.wantListed("")
	names := map[string]int{"f0": 0, "f1": 1, "d/x": 10, "d/e/y": 100, "z z": 5, "d/e/f/g/h": 1 << 16}
	var all []string
	for name, size := range names {
		f.store(name, content(name, size))
		all = append(all, name)
	}
	f.wantListed("", all...)
	listed := f.list("")
	for name, info := range listed {
		if info.Size != int64(names[name]) {
			t.Errorf("List yields size %d for %q, want %d", info.Size, name, names[name])
		}
	}
	// Without labels, the same names, sizes and CIDs.
	n := 0
	err := backends.ListUnlabeled(f.ctx, f.b, "", func(info backends.Info) error {
		n++
		if want, ok := listed[info.Name]; !ok || info.Size != want.Size || info.CID != want.CID {
			t.Errorf("ListUnlabeled yields %q, size %d, CID %q; List: %+v", info.Name, info.Size, info.CID, want)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("ListUnlabeled: %v", err)
	}
	if n != len(listed) {
		t.Errorf("ListUnlabeled yields %d names, List %d", n, len(listed))
	}
}

func testListPrefix(t *testing.T, f *fixture) {
	for _, name := range []string{"a/x", "a/b/y", "ab", "a2/x", "b/a/x"} {
		f.store(name, content(name, 10))
	}
	f.wantListed("a", "a/x", "a/b/y")
	f.wantListed("a/b", "a/b/y")
	f.wantListed("b", "b/a/x")
	f.wantListed("nope")
	f.wantListed("a/x") // a file, not a directory: nothing under it
}

func testListStopsOnError(t *testing.T, f *fixture) {
	for _, name := range []string{"a", "b", "d/c"} {
		f.store(name, content(name, 10))
	}
	errStop := errors.New("stop")
	calls := 0
	err := f.b.List(f.ctx, "", func(backends.Info) error {
		calls++
		return errStop
	})
	if !errors.Is(err, errStop) {
		t.Errorf("List returned %v, want the callback's error", err)
	}
	if calls != 1 {
		t.Errorf("List called the callback %d times after it failed, want 1", calls)
	}
}

// testListMany lists more names than a backend is likely to read in one
// batch (a directory read, a page of keys), in one directory and
// several, so that a listing that stops after its first batch shows.
func testListMany(t *testing.T, f *fixture) {
	const n = 600
	var all, under []string
	for i := range n {
		name := fmt.Sprintf("%03d", i)
		if i%2 == 1 {
			name = "many/" + name
			if i%100 == 1 {
				name = fmt.Sprintf("many/sub%d/x", i)
			}
			under = append(under, name)
		}
		all = append(all, name)
	}
	// Store a few at a time: slow storage takes a while otherwise.
	names := make(chan string)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for name := range names {
				data := content(name, 1)
				if _, err := f.b.Store(f.ctx, name, bytes.NewReader(data), backends.StoreOptions{Size: 1}); err != nil {
					t.Errorf("Store(%q): %v", name, err)
				}
			}
		})
	}
	for _, name := range all {
		names <- name
	}
	close(names)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	f.wantListed("", all...)
	f.wantListed("many", under...)
}

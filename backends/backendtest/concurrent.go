package backendtest

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
)

// testConcurrentStores stores different names at once, half of them in a
// directory that none of them finds existing.
func testConcurrentStores(t *testing.T, f *fixture) {
	const n = 16
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("n%d", i)
		if i%2 == 0 {
			names[i] = "shared/deep/" + names[i]
		}
	}
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() {
			data := content(name, 1000*i+1)
			if _, err := f.b.Store(f.ctx, name, bytes.NewReader(data), backends.StoreOptions{Size: int64(len(data))}); err != nil {
				errs <- err
				return
			}
			var buf bytes.Buffer
			if _, err := f.b.Retrieve(f.ctx, name, "", &buf); err != nil {
				errs <- err
			} else if !bytes.Equal(buf.Bytes(), data) {
				errs <- fmt.Errorf("Retrieve(%q) wrote %s, want %s", name, describe(buf.Bytes()), describe(data))
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i, name := range names {
		f.wantContent(name, content(name, 1000*i+1))
	}
	f.wantListed("", names...)
	f.wantEntries(names...)
}

// testConcurrentStoresSameName races stores of one name: one of them wins
// whole, and nothing else is left.
func testConcurrentStoresSameName(t *testing.T, f *fixture) {
	const n = 8
	const name = "s/same"
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			data := content(name, 1000*i+1)
			_, err := f.b.Store(f.ctx, name, bytes.NewReader(data), backends.StoreOptions{Size: int64(len(data))})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	got, err := f.h.Read(f.ctx, name)
	if err != nil {
		t.Fatalf("reading %q out of band: %v", name, err)
	}
	if len(got) == 0 || !bytes.Equal(got, content(name, len(got))) {
		t.Fatalf("after racing stores, %q holds %s, which none of them stored", name, describe(got))
	}
	f.wantContent(name, got)
	f.wantEntries(name)
}

// testConcurrentStoreAndRemove stores into a directory while the removal of
// its only other name empties it, which a backend with directories prunes.
func testConcurrentStoreAndRemove(t *testing.T, f *fixture) {
	const rounds = 20
	for i := range rounds {
		f.store("d/a", content("a", 10))
		name := fmt.Sprintf("d/b%d", i)
		var wg sync.WaitGroup
		var removeErr, storeErr error
		wg.Go(func() { removeErr = f.b.Remove(f.ctx, "d/a", backends.Unconditional) })
		wg.Go(func() {
			_, storeErr = f.b.Store(f.ctx, name, bytes.NewReader(content(name, 10)), backends.StoreOptions{Size: 10})
		})
		wg.Wait()
		if removeErr != nil || storeErr != nil {
			t.Fatalf("round %d: Remove: %v; Store: %v", i, removeErr, storeErr)
		}
		f.wantAbsent("d/a")
		f.wantContent(name, content(name, 10))
		f.wantEntries(name)
		// Empty the directory again for the next round.
		f.remove(name)
	}
	f.wantEntries()
}

package backendtest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"runtime"
	"sync"
	"testing"
	"time"

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
	results := make([]storeResult, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			data := content(name, 1000*i+1)
			cid, err := f.b.Store(f.ctx, name, bytes.NewReader(data), backends.StoreOptions{Size: int64(len(data))})
			results[i] = storeResult{cid, err}
		})
	}
	wg.Wait()
	for _, res := range results {
		if res.err != nil {
			t.Fatal(res.err)
		}
	}
	got, err := f.h.Read(f.ctx, name)
	if err != nil {
		t.Fatalf("reading %q out of band: %v", name, err)
	}
	if len(got) == 0 || !bytes.Equal(got, content(name, len(got))) {
		t.Fatalf("after racing stores, %q holds %s, which none of them stored", name, describe(got))
	}
	cid := f.wantContent(name, got)
	// Each store returned the CID of what it stored: the winner's is the
	// content's, and no other store's names it.
	for i, res := range results {
		if won := 1000*i+1 == len(got); won != (res.cid == cid) {
			t.Errorf("racing Store %d of %d bytes returned CID %q; the content, %d bytes, has %q", i, 1000*i+1, res.cid, len(got), cid)
		}
	}
	f.wantEntries(name)
}

// testConcurrentConditionalStores races stores that all expect what was
// under the name before any of them: exactly one wins, whole, with the CID
// of what it stored, and every other fails with ErrConflict.
func testConcurrentConditionalStores(t *testing.T, f *fixture) {
	const n = 8
	cid := f.store("m/x", content("m/x", 10))
	for _, tc := range []struct {
		name string
		cond backends.Condition
	}{{"n/x", backends.NothingThere}, {"m/x", backends.Matches(cid)}} {
		results := make([]storeResult, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				cid, err := f.storeIf(tc.name, content(tc.name, 1000*i+1), tc.cond)
				results[i] = storeResult{cid, err}
			})
		}
		wg.Wait()
		winner := -1
		for i, res := range results {
			switch {
			case res.err == nil && winner >= 0:
				t.Errorf("racing stores to %q, %s: both %d and %d succeeded", tc.name, tc.cond, winner, i)
			case res.err == nil:
				winner = i
			default:
				wantClass(t, res.err, backends.ErrConflict, tc.name)
			}
		}
		if winner < 0 {
			t.Fatalf("racing stores to %q, %s: none succeeded", tc.name, tc.cond)
		}
		if got := f.wantContent(tc.name, content(tc.name, 1000*winner+1)); got != results[winner].cid {
			t.Errorf("the store that won %q returned CID %q, the content has %q", tc.name, results[winner].cid, got)
		}
	}
	f.wantEntries("m/x", "n/x")
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

// testConcurrentRenames races renames of different names onto one, all
// expecting what was there before any of them: exactly one wins and every
// other fails with ErrConflict, its source untouched.
func testConcurrentRenames(t *testing.T, f *fixture, mode string) {
	setMode(f, mode)
	const n = 6
	const to = "t/x"
	var want []string
	cond := backends.NothingThere
	for round := range 2 {
		from := make([]string, n)
		for i := range from {
			from[i] = fmt.Sprintf("s%d/%d", round, i)
			f.store(from[i], content(from[i], 100*i+1))
		}
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i, name := range from {
			wg.Go(func() { errs[i] = backends.Rename(f.ctx, f.b, name, to, backends.Unconditional, cond) })
		}
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Errorf("racing renames onto %q, %s: both %q and %q succeeded", to, cond, from[winner], from[i])
			case err == nil:
				winner = i
			default:
				wantClass(t, err, backends.ErrConflict, to)
				f.wantContent(from[i], content(from[i], 100*i+1))
				want = append(want, from[i])
			}
		}
		if winner < 0 {
			t.Fatalf("racing renames onto %q, %s: none succeeded", to, cond)
		}
		f.wantAbsent(from[winner])
		cond = backends.Matches(f.wantContent(to, content(from[winner], 100*winner+1)))
	}
	f.wantEntries(append(want, to)...)
}

// testConcurrentStoreAndConditionalRemove races a Remove that expects the
// old content with a Store of new content to the same name. The Remove
// acts on exactly the content it checked or fails with ErrConflict, so the
// new content is never lost: if the Remove went first, it removed the old
// content and the Store then made the name anew; if the Store went first,
// the Remove found the new content and failed. Either way, once both have
// returned, the name holds the new content with the CID the Store returned.
//
// To have many rounds check just as the Store commits, the Remove starts
// once the Store has read all its bytes, after a delay (spun, not slept)
// that follows a staircase: longer after a round whose Remove went first
// (it succeeded), shorter after one whose Store went first (ErrConflict),
// so that it hovers around the moment of the commit. The delay only
// provokes the race; nothing asserted depends on it.
func testConcurrentStoreAndConditionalRemove(t *testing.T, f *fixture) {
	if f.props.RemoveWindow {
		t.Skip("the backend documents a window between the check and the delete of a conditional Remove " +
			"(S3 without bucket versioning: a HEAD, then a DELETE) in which a concurrent store is deleted")
	}
	// Up to 200 rounds, fewer on slow storage: past the budget, and
	// at least 20 rounds, the test stops, having found nothing wrong.
	const rounds, minRounds, budget = 200, 20, 2 * time.Second
	began := time.Now()
	var delay time.Duration
	var tail time.Duration // from the end of the reading to the end of the Store
	for i := range rounds {
		if i >= minRounds && time.Since(began) > budget {
			t.Logf("stopped after %d rounds, %v", i, budget)
			break
		}
		// A fresh name each round: nothing older than the old content
		// is under it (on a versioned bucket, no older version).
		name := fmt.Sprintf("r/%d", i)
		old, data := content(name, 10), content(name, 11)
		oldCID := f.store(name, old)
		start := make(chan struct{})
		r := &eofReader{r: bytes.NewReader(data), eof: make(chan struct{})}
		stored := make(chan struct{})
		var wg sync.WaitGroup
		var removeErr, storeErr error
		var cid backends.CID
		wg.Go(func() {
			<-start
			select {
			case <-r.eof:
			case <-stored: // a Store that never reads to the end
			}
			// Spin rather than sleep: a timer wakes too late for
			// delays of microseconds.
			for until := time.Now().Add(delay); time.Now().Before(until); {
				runtime.Gosched()
			}
			removeErr = f.b.Remove(f.ctx, name, backends.Matches(oldCID))
		})
		wg.Go(func() {
			defer close(stored)
			<-start
			cid, storeErr = f.b.Store(f.ctx, name, r, backends.StoreOptions{Size: int64(len(data))})
			if r.at.IsZero() {
				tail = 0
			} else {
				tail = time.Since(r.at)
			}
		})
		close(start)
		wg.Wait()
		if storeErr != nil {
			t.Fatalf("round %d: Store: %v", i, storeErr)
		}
		if removeErr != nil && !errors.Is(removeErr, backends.ErrConflict) {
			t.Fatalf("round %d: Remove expecting %q: %v, want success or ErrConflict", i, oldCID, removeErr)
		}
		if cid == oldCID {
			t.Fatalf("round %d: Store of new content returned the old content's CID %q", i, cid)
		}
		if _, err := f.h.Read(f.ctx, name); errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("round %d: the Store of %q succeeded with CID %q, but a Remove expecting the old content %q "+
				"(which returned %v) left the name absent: the new content was lost", i, name, cid, oldCID, removeErr)
		}
		if got := f.wantContent(name, data); got != cid {
			t.Fatalf("round %d: the Store returned CID %q, the content has %q", i, cid, got)
		}
		f.remove(name)
		step := max(tail/16, time.Microsecond)
		if removeErr == nil {
			delay = min(delay+step, tail)
		} else {
			delay = max(delay-step, 0)
		}
	}
	f.wantEntries()
}

// eofReader closes eof, and notes when, the first time r reports io.EOF.
type eofReader struct {
	r   io.Reader
	eof chan struct{}
	at  time.Time
}

func (e *eofReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF && e.at.IsZero() {
		e.at = time.Now()
		close(e.eof)
	}
	return n, err
}

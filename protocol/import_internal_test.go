package protocol

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// countingWriter counts the lines written to it, and the writes that split
// an entry of a listing from its identifier.
type countingWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	lines int
	split int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.lines += bytes.Count(p, []byte("\n"))
	// One Write per entry is what keeps its two lines adjacent whatever
	// else is written at the same time.
	if bytes.Count(p, []byte("IMPORTABLECONTENT ")) != bytes.Count(p, []byte("IMPORTABLECONTENTIDENTIFIER ")) {
		w.split++
	}
	return w.buf.Write(p)
}

func (w *countingWriter) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lines
}

// listFunc is an Importer whose listing is a function.
type listFunc struct {
	prepareOnly
	list func(ctx context.Context, a *Annex, emit func(int64, string, string) error) error
}

func (l listFunc) ListImportableContents(ctx context.Context, a *Annex, emit func(int64, string, string) error) error {
	return l.list(ctx, a, emit)
}
func (listFunc) RetrieveImport(context.Context, *Annex, string, string) error { return nil }
func (listFunc) CheckPresentImport(context.Context, *Annex, string, string) (bool, error) {
	return false, nil
}

// A listing is streamed in batches: fewer than listBatch entries wait to be
// written, and each write holds whole entries, so the memory a listing
// takes does not grow with it.
func TestListingStreams(t *testing.T) {
	const entries = 10000
	w := &countingWriter{}
	r := listFunc{list: func(ctx context.Context, a *Annex, emit func(int64, string, string) error) error {
		base := w.count() // VERSION and EXTENSIONS
		for i := range entries {
			if err := emit(int64(i), fmt.Sprintf("dir %d/file %d", i%100, i), fmt.Sprintf("cid-%d", i)); err != nil {
				return err
			}
			written := w.count() - base
			if waiting := i + 1 - written/2; written%2 != 0 || waiting < 0 || waiting >= listBatch {
				return fmt.Errorf("after entry %d the writer has %d lines: %d entries wait, want fewer than %d", i, written, waiting, listBatch)
			}
		}
		return nil
	}}
	var stderr bytes.Buffer
	in := strings.NewReader("EXTENSIONS INFO\nLISTIMPORTABLECONTENTS\n")
	if err := serve(context.Background(), r, in, w, Options{Stderr: &stderr, DisableAsync: true}, config{}); err != nil {
		t.Fatalf("Serve: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSuffix(w.buf.String(), "\n"), "\n")
	if len(lines) != 2+2*entries+1 {
		t.Fatalf("%d lines, want %d; last: %q", len(lines), 2+2*entries+1, lines[len(lines)-1])
	}
	if last := lines[len(lines)-1]; last != "LISTIMPORTABLECONTENTS-SUCCESS" {
		t.Fatalf("last line %q", last)
	}
	if w.split != 0 {
		t.Errorf("%d writes split an entry from its identifier", w.split)
	}
	for i := range entries {
		want := fmt.Sprintf("IMPORTABLECONTENT %d dir %d/file %d", i, i%100, i)
		if got := lines[2+2*i]; got != want {
			t.Fatalf("line %d = %q, want %q", 2+2*i, got, want)
		}
		if got, want := lines[3+2*i], fmt.Sprintf("IMPORTABLECONTENTIDENTIFIER cid-%d", i); got != want {
			t.Fatalf("line %d = %q, want %q", 3+2*i, got, want)
		}
	}
}

// A listing whose emit failed for a reason other than a refused entry
// (here: Serve's context cancelled part-way) is answered FAILURE even when
// the remote swallows the error and returns nil: a shorter SUCCESS listing

// An entry of a lister that pauses is written within listWait, not held
// until the batch fills or the listing ends.
func TestListingSlowListerFlows(t *testing.T) {
	w := &countingWriter{}
	r := listFunc{list: func(ctx context.Context, a *Annex, emit func(int64, string, string) error) error {
		base := w.count()
		if err := emit(1, "first", "cid-1"); err != nil {
			return err
		}
		deadline := time.Now().Add(20 * listWait)
		for w.count() < base+2 {
			if time.Now().After(deadline) {
				return fmt.Errorf("the entry was not written within %v", 20*listWait)
			}
			time.Sleep(listWait / 10)
		}
		return nil
	}}
	var stderr bytes.Buffer
	in := strings.NewReader("EXTENSIONS INFO\nLISTIMPORTABLECONTENTS\n")
	if err := serve(context.Background(), r, in, w, Options{Stderr: &stderr, DisableAsync: true}, config{}); err != nil {
		t.Fatalf("Serve: %v\n%s", err, stderr.String())
	}
	if !strings.HasSuffix(w.buf.String(), "IMPORTABLECONTENTIDENTIFIER cid-1\nLISTIMPORTABLECONTENTS-SUCCESS\n") {
		t.Errorf("got:\n%s", w.buf.String())
	}
}

// would delete the missing files from git-annex's tree.
func TestListingSwallowedEmitErrorFails(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var emitErrs []error
	r := listFunc{list: func(_ context.Context, a *Annex, emit func(int64, string, string) error) error {
		for i := range 4 {
			if i == 2 {
				cancel()
			}
			if err := emit(1, fmt.Sprintf("f%d", i), "c"); err != nil {
				emitErrs = append(emitErrs, err) // and go on, wrongly
			}
		}
		return nil
	}}
	var out, stderr bytes.Buffer
	in := strings.NewReader("EXTENSIONS\nLISTIMPORTABLECONTENTS\n")
	err := serve(ctx, r, in, &out, Options{Stderr: &stderr, DisableAsync: true}, config{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Serve = %v, want context.Canceled", err)
	}
	if len(emitErrs) != 2 || !errors.Is(emitErrs[0], context.Canceled) {
		t.Fatalf("emit errors = %v, want two context.Canceled", emitErrs)
	}
	want := "VERSION 2\nEXTENSIONS \n" +
		"IMPORTABLECONTENT 1 f0\nIMPORTABLECONTENTIDENTIFIER c\nIMPORTABLECONTENT 1 f1\nIMPORTABLECONTENTIDENTIFIER c\n" +
		"LISTIMPORTABLECONTENTS-FAILURE listing incomplete: context canceled\n"
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}

// An entry's two lines are adjacent, and every entry arrives, when a remote
// lists from several goroutines that also send DEBUG lines (run with -race).
func TestListingEntriesStayWhole(t *testing.T) {
	const workers, each = 8, 200
	r := listFunc{list: func(ctx context.Context, a *Annex, emit func(int64, string, string) error) error {
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for g := range workers {
			wg.Go(func() {
				for i := range each {
					if err := emit(int64(i), fmt.Sprintf("g%d/f%d", g, i), fmt.Sprintf("g%d-c%d", g, i)); err != nil {
						errs <- err
						return
					}
					a.Debug(fmt.Sprintf("g%d %d", g, i))
				}
			})
		}
		wg.Wait()
		close(errs)
		return <-errs
	}}
	out := &countingWriter{}
	var stderr bytes.Buffer
	input := "EXTENSIONS ASYNC\nJ 1 LISTIMPORTABLECONTENTS\n"
	if err := serve(context.Background(), r, strings.NewReader(input), out, Options{Stderr: &stderr}, config{}); err != nil {
		t.Fatalf("Serve: %v\n%s", err, stderr.String())
	}
	if out.split != 0 {
		t.Errorf("%d writes split an entry from its identifier", out.split)
	}
	lines := strings.Split(strings.TrimSuffix(out.buf.String(), "\n"), "\n")
	entries := 0
	for i, l := range lines {
		rest, ok := strings.CutPrefix(l, "J 1 IMPORTABLECONTENT ")
		if !ok {
			continue
		}
		var size, g, n int
		if _, err := fmt.Sscanf(rest, "%d g%d/f%d", &size, &g, &n); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		if want := fmt.Sprintf("J 1 IMPORTABLECONTENTIDENTIFIER g%d-c%d", g, n); i+1 >= len(lines) || lines[i+1] != want {
			t.Fatalf("line after %q is not %q", l, want)
		}
		entries++
	}
	if entries != workers*each || lines[len(lines)-1] != "J 1 LISTIMPORTABLECONTENTS-SUCCESS" {
		t.Errorf("%d entries, last line %q", entries, lines[len(lines)-1])
	}
}

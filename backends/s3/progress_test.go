package s3_test

import (
	"bytes"
	"io"
	"sync"
	"testing"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
	"github.com/exporttree/git-annex-remote-exporttree/backends/s3"
)

// progressLog records the calls of a StoreOptions.Progress.
type progressLog struct {
	mu    sync.Mutex
	calls []int64
}

func (p *progressLog) report(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, n)
}

// check fails t unless the reports grow, stay within size and end at
// size; it returns their number.
func (p *progressLog) check(t *testing.T, size int64) int {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.calls) == 0 {
		t.Fatalf("Progress never called for %d bytes", size)
	}
	for i, n := range p.calls {
		if n > size || (i > 0 && n <= p.calls[i-1]) {
			t.Fatalf("Progress reports %v for %d bytes: not growing within the size", p.calls, size)
		}
	}
	if last := p.calls[len(p.calls)-1]; last != size {
		t.Fatalf("Progress ends at %d of %d bytes", last, size)
	}
	return len(p.calls)
}

// Store reports progress as the transport sends, for single PUTs and
// parallel parts alike, from 0 to the size.
func TestStoreProgress(t *testing.T) {
	h := newHarness(t, false, "")
	b := h.open(t, func(cfg *s3.Config) { cfg.Parallelism = 3 })
	data := make([]byte, 17<<20) // four parts of 5 MiB, the last short
	for i := range data {
		data[i] = byte(i >> 10)
	}
	for _, tc := range []struct {
		size     int
		declared bool
	}{
		{0, true}, {0, false}, {1000, true}, {1000, false},
		{s3.MinPartSize, true}, {s3.MinPartSize, false}, // the largest single PUT
		{len(data), true}, {len(data), false},
	} {
		var log progressLog
		declared := int64(-1)
		if tc.declared {
			declared = int64(tc.size)
		}
		r := struct{ io.Reader }{bytes.NewReader(data[:tc.size])}
		if _, err := b.Store(t.Context(), "f", r, backends.StoreOptions{Size: declared, Progress: log.report}); err != nil {
			t.Fatalf("Store of %d bytes declared %d: %v", tc.size, declared, err)
		}
		calls := log.check(t, int64(tc.size))
		// Bodies are read in chunks far below a part: reports come
		// along the way, not only at the end.
		if tc.size >= s3.MinPartSize && calls < 4*tc.size/s3.MinPartSize {
			t.Errorf("%d bytes: only %d reports %v", tc.size, calls, log.calls)
		}
		if got, _ := retrieve(t, b, "f"); !bytes.Equal(got, data[:tc.size]) {
			t.Fatalf("%d bytes: stored content differs", tc.size)
		}
	}
	// A store that fails reports no completion.
	var log progressLog
	_, err := b.Store(t.Context(), "f", bytes.NewReader(data[:10]), backends.StoreOptions{Size: 11, Progress: log.report})
	if err == nil {
		t.Fatal("Store of a short source succeeded")
	}
	if len(log.calls) > 0 {
		t.Errorf("a failed store reported %v", log.calls)
	}
}

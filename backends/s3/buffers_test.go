package s3_test

import (
	"bytes"
	"errors"
	"io"
	"sync"
	"testing"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
	"github.com/exporttree/git-annex-remote-exporttree/backends/s3"
)

// bufferLog adds up what a Config.Buffers hears.
type bufferLog struct {
	mu          sync.Mutex
	inUse, peak int64
}

func (l *bufferLog) add(n int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.inUse += n
	l.peak = max(l.peak, l.inUse)
}

// take returns what is in use and the peak since the last take.
func (l *bufferLog) take() (inUse, peak int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	inUse, peak = l.inUse, l.peak
	l.peak = l.inUse
	return inUse, peak
}

// Store tells Config.Buffers of every content buffer it takes and gives it
// up again, whether the store succeeds or fails, so the program's memory
// limit follows what stores hold.
func TestStoreBuffers(t *testing.T) {
	h := newHarness(t, false, "")
	var log bufferLog
	b := h.open(t, func(cfg *s3.Config) {
		cfg.Parallelism = 2
		cfg.Buffers = log.add
	})
	const part = s3.MinPartSize
	data := make([]byte, 12<<20) // three parts
	failing := func(n int) io.Reader {
		return io.MultiReader(bytes.NewReader(data[:n]), &errReader{errors.New("the disk went away")})
	}
	for _, tc := range []struct {
		name     string
		src      io.Reader
		declared int64
		cond     backends.Condition
		fails    bool
		// What the store holds at most: a part buffer more when the
		// next part is read before an upload gives one back, up to
		// Parallelism.
		minPeak, maxPeak int64
	}{
		{name: "small", src: bytes.NewReader(data[:1000]), declared: 1000, minPeak: 1000, maxPeak: 1000},
		{name: "small of unknown size", src: bytes.NewReader(data[:1000]), declared: -1, minPeak: part, maxPeak: part},
		{name: "parts", src: bytes.NewReader(data), declared: int64(len(data)), minPeak: part, maxPeak: 2 * part},
		{name: "parts of unknown size", src: bytes.NewReader(data), declared: -1, minPeak: part, maxPeak: 2 * part},
		{name: "refused by its condition", src: bytes.NewReader(data[:1000]), declared: 1000,
			cond: backends.NothingThere, fails: true, minPeak: 1000, maxPeak: 1000},
		{name: "source fails among parts", src: failing(7 << 20), declared: int64(len(data)), fails: true,
			minPeak: part, maxPeak: 2 * part},
	} {
		// A plain io.Reader: Store must not see the bytes.Reader.
		_, err := b.Store(t.Context(), "f", struct{ io.Reader }{tc.src}, backends.StoreOptions{Size: tc.declared, If: tc.cond})
		if (err != nil) != tc.fails {
			t.Fatalf("%s: Store: %v", tc.name, err)
		}
		inUse, peak := log.take()
		if inUse != 0 {
			t.Errorf("%s: %d bytes of buffers still in use after the store", tc.name, inUse)
		}
		if peak < tc.minPeak || peak > tc.maxPeak {
			t.Errorf("%s: the store held %d bytes of buffers at most, want %d to %d", tc.name, peak, tc.minPeak, tc.maxPeak)
		}
	}
}

// errReader fails every read with err.
type errReader struct{ err error }

func (r *errReader) Read([]byte) (int, error) { return 0, r.err }

package s3

import (
	"bytes"
	"io"
	"sync"
)

// progress reports to [backends.StoreOptions.Progress] how many bytes of a
// store the HTTP transport has sent: the sum, over the request bodies of
// the store (one PUT, or the parts), of how far each has been read. A body
// read again by a retry counts once, so the total only grows and never
// exceeds the size. Calls are serialized; none comes after the store has
// returned, although the transport may still touch a body then.
// A nil *progress reports nothing.
type progress struct {
	fn func(int64)

	mu    sync.Mutex
	total int64
	last  int64 // last total reported, -1 before the first report
	done  bool
}

func newProgress(fn func(int64)) *progress {
	if fn == nil {
		return nil
	}
	return &progress{fn: fn, last: -1}
}

func (p *progress) add(n int64) {
	if p == nil || n <= 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total += n
	if !p.done {
		p.last = p.total
		p.fn(p.total)
	}
}

// finish ends the reports; after a successful store of size bytes, the
// last report is size (an empty store reports 0 once).
func (p *progress) finish(size int64, stored bool) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if stored && !p.done && p.last < size {
		p.fn(size)
	}
	p.done = true
}

// body returns data as a request body that tells p how far the transport
// has read it. It can seek, so minio-go may retry the request.
func (p *progress) body(data []byte) io.ReadSeeker {
	r := bytes.NewReader(data)
	if p == nil {
		return r
	}
	return &sentReader{r: r, p: p}
}

type sentReader struct {
	p *progress

	mu   sync.Mutex // a retry may seek while the last attempt reads
	r    *bytes.Reader
	high int64 // furthest offset read
}

func (s *sentReader) Read(b []byte) (int, error) {
	s.mu.Lock()
	n, err := s.r.Read(b)
	var more int64
	if pos := s.r.Size() - int64(s.r.Len()); pos > s.high {
		more, s.high = pos-s.high, pos
	}
	s.mu.Unlock()
	s.p.add(more)
	return n, err
}

func (s *sentReader) Seek(offset int64, whence int) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.r.Seek(offset, whence)
}

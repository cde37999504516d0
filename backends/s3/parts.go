package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"

	"github.com/minio/minio-go/v7"
)

// uploadParts reads src into part-size buffers (first, when given, is the
// first part) and uploads them, Parallelism at a time, telling prog how far
// each is sent. It holds at most Parallelism buffers. It returns the parts
// in order and the byte total.
func (b *Backend) uploadParts(ctx context.Context, key, uploadID string, first []byte, src io.Reader, partSize int64, prog *progress) ([]minio.CompletePart, int64, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	free := make(chan []byte, b.parallelism)
	allocated := 0
	var made int64 // bytes of the buffers made here (not first)
	defer func() { b.buffers(-made) }()
	acquire := func() ([]byte, error) {
		select {
		case buf := <-free:
			return buf, nil
		default:
		}
		if allocated < b.parallelism {
			allocated++
			made += partSize
			return b.buffer(partSize), nil
		}
		select {
		case buf := <-free:
			return buf, nil
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
	}
	// next returns the next part's buffer and length, 0 at the end.
	next := func(num int) (buf []byte, n int, last bool, err error) {
		if num == 1 && first != nil {
			allocated++
			return first, len(first), false, nil
		}
		if buf, err = acquire(); err != nil {
			return nil, 0, false, err
		}
		n, err = io.ReadFull(src, buf)
		switch err {
		case nil:
			return buf, n, false, nil
		case io.ErrUnexpectedEOF:
			return buf, n, true, nil
		case io.EOF:
			err = nil
		}
		free <- buf
		return nil, 0, true, err
	}

	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		parts []minio.CompletePart
		total int64
	)
	for num := 1; ctx.Err() == nil; num++ {
		buf, n, last, err := next(num)
		if err != nil {
			cancel(err)
			break
		}
		if n == 0 {
			break
		}
		if num > maxParts {
			cancel(fmt.Errorf("content exceeds %d parts of %d bytes; set a larger part size", maxParts, partSize))
			break
		}
		total += int64(n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := b.core.PutObjectPart(ctx, b.bucket, key, uploadID, num, prog.body(buf[:n]), int64(n), minio.PutObjectPartOptions{})
			if err != nil {
				cancel(err)
				return
			}
			mu.Lock()
			parts = append(parts, minio.CompletePart{PartNumber: num, ETag: p.ETag})
			mu.Unlock()
			free <- buf
		}()
		if last {
			break
		}
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, 0, err
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].PartNumber < parts[j].PartNumber })
	return parts, total, nil
}

var errTooLong = errors.New("source yields more bytes than its declared size")

// sourceReader reads the content to store, remembering the first error of
// the source (so Store can tell it from a storage failure) and, when want
// is known (not -1), failing on any other number of bytes. The check for
// extra bytes is made before the last declared byte is handed on, so an
// upload of the wrong size never completes.
//
// Store reads it into buffers that become the request bodies, so only
// Store's goroutine reads it; the lock keeps failed safe to call from
// anywhere.
type sourceReader struct {
	r      io.Reader
	want   int64
	n      int64
	probed bool

	mu  sync.Mutex
	err error
}

// failed returns the error the source or the size check gave, if any.
func (s *sourceReader) failed() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

func (s *sourceReader) fail(err error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		s.err = err
	}
	return s.err
}

func (s *sourceReader) Read(p []byte) (int, error) {
	if err := s.failed(); err != nil {
		return 0, err
	}
	if s.want >= 0 && s.n == s.want {
		if err := s.probe(); err != nil {
			return 0, err
		}
		return 0, io.EOF
	}
	if s.want >= 0 && int64(len(p)) > s.want-s.n {
		p = p[:s.want-s.n]
	}
	n, err := s.r.Read(p)
	s.n += int64(n)
	if s.want >= 0 {
		switch {
		case s.n == s.want:
			if err := s.probe(); err != nil {
				return 0, err
			}
			err = nil // EOF comes with the next Read
		case err == io.EOF:
			err = fmt.Errorf("source ended after %d of its declared %d bytes: %w", s.n, s.want, io.ErrUnexpectedEOF)
		}
	}
	if err != nil && err != io.EOF {
		return n, s.fail(err)
	}
	return n, err
}

// probe fails when the source has a byte beyond the declared size.
func (s *sourceReader) probe() error {
	if s.probed {
		return nil
	}
	s.probed = true
	var extra [1]byte
	n, err := io.ReadFull(s.r, extra[:])
	switch {
	case n > 0:
		return s.fail(errTooLong)
	case err != io.EOF:
		return s.fail(err)
	}
	return nil
}

// buffer makes a buffer of n bytes for content, telling Config.Buffers;
// whoever asks for one gives it up with b.buffers(-n) when done.
func (b *Backend) buffer(n int64) []byte {
	b.buffers(n)
	return make([]byte, n)
}

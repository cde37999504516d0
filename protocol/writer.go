package protocol

import (
	"io"
	"sync"
)

// lineWriter serialises whole lines onto git-annex's stdin. One mutex guards
// it, so lines from concurrent ASYNC jobs never interleave mid-line. Each
// call goes out in a single Write, followed by Flush when the writer has
// one, so git-annex sees it at once; lines that must stay adjacent (an
// IMPORTABLECONTENT and its IMPORTABLECONTENTIDENTIFIER) are written by one
// call.
type lineWriter struct {
	mu    sync.Mutex
	w     io.Writer
	buf   []byte
	err   error       // first write error; later writes fail with it
	onErr func(error) // called once, outside mu, on the first error
}

func (lw *lineWriter) write(ms ...message) error {
	lw.mu.Lock()
	if lw.err != nil {
		err := lw.err
		lw.mu.Unlock()
		return err
	}
	lw.buf = lw.buf[:0]
	for _, m := range ms {
		lw.buf = m.appendLine(lw.buf)
	}
	_, err := lw.w.Write(lw.buf)
	if f, ok := lw.w.(flusher); ok && err == nil {
		err = f.Flush()
	}
	first := err != nil
	if first {
		lw.err = err
	}
	lw.mu.Unlock()
	if first && lw.onErr != nil {
		lw.onErr(err)
	}
	return err
}

type flusher interface{ Flush() error }

package protocol

import (
	"io"
	"strconv"
	"time"
)

// progressInterval is the least time between two PROGRESS lines. git-annex
// redraws its meter a few times a second; more lines would only cost CPU on
// both sides of the pipe.
const progressInterval = 250 * time.Millisecond

// progressState throttles one transfer's PROGRESS lines. It is pure: the
// clock is passed in, so tests drive it deterministically.
//
// The first line waits progressInterval from the transfer's start, so a
// transfer that ends sooner (most small files) sends none: its reply
// follows at once, and git-annex spends more on a meter line than the
// remote does. A failure still reports the bytes moved (see final), since
// git-annex retries a failed transfer only when it saw progress.
type progressState struct {
	at      time.Time // when the last line was sent, or the transfer began
	sent    bool
	last    int64 // last value sent
	pending int64 // newest value held back
	held    bool
}

// begin starts a transfer at now.
func (p *progressState) begin(now time.Time) { *p = progressState{at: now} }

// report records n at now and says whether to send it now.
func (p *progressState) report(n int64, now time.Time) bool {
	if p.sent && n == p.last {
		p.held = false
		return false
	}
	if now.Sub(p.at) < progressInterval {
		p.pending, p.held = n, true
		return false
	}
	p.sent, p.last, p.at, p.held = true, n, now, false
	return true
}

// final returns the held-back value, if any. It is sent only before a
// failure: before a success it would tell git-annex nothing new.
func (p *progressState) final() (int64, bool) {
	if !p.held {
		return 0, false
	}
	p.held = false
	p.sent, p.last = true, p.pending
	return p.pending, true
}

func progressLine(n int64) message { return msg("PROGRESS", strconv.FormatInt(n, 10)) }

type progressReader struct {
	r io.Reader
	a *Annex
	n int64
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		p.n += int64(n)
		p.a.Progress(p.n)
	}
	return n, err
}

type progressWriter struct {
	w io.Writer
	a *Annex
	n int64
}

func (p *progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	if n > 0 {
		p.n += int64(n)
		p.a.Progress(p.n)
	}
	return n, err
}

// readFromChunk is how much ReadFrom copies between progress reports.
var readFromChunk int64 = 8 << 20

// ReadFrom lets io.Copy into a file stay in the kernel (copy_file_range,
// splice) when the writer underneath can do that, as an *os.File can: it
// copies chunk by chunk through the writer's own ReadFrom and reports
// progress between chunks.
func (p *progressWriter) ReadFrom(r io.Reader) (int64, error) {
	rf, ok := p.w.(io.ReaderFrom)
	if !ok {
		return io.Copy(struct{ io.Writer }{p}, r) // Write, without recursing here
	}
	var total int64
	for {
		n, err := rf.ReadFrom(io.LimitReader(r, readFromChunk))
		total += n
		if n > 0 {
			p.n += n
			p.a.Progress(p.n)
		}
		if err != nil || n < readFromChunk {
			return total, err
		}
	}
}

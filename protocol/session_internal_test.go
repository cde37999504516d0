package protocol

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// script runs Serve over a fixed input and returns everything it wrote.
func script(t *testing.T, r Remote, cfg config, lines ...string) string {
	t.Helper()
	var out, stderr bytes.Buffer
	in := strings.NewReader(strings.Join(lines, "\n") + "\n")
	if err := serve(context.Background(), r, in, &out, Options{Stderr: &stderr, DisableAsync: true}, cfg); err != nil {
		t.Fatalf("Serve: %v\nstderr:\n%s", err, stderr.String())
	}
	return out.String()
}

// prepareOnly is the smallest Remote; transfer handlers are added below.
type prepareOnly struct{}

func (prepareOnly) InitRemote(context.Context, *Annex) error { return nil }
func (prepareOnly) Prepare(ctx context.Context, a *Annex) error {
	a.Progress(1) // outside a transfer: nothing is sent
	return nil
}

type kvFunc struct {
	prepareOnly
	store func(ctx context.Context, a *Annex, key, file string) error
}

func (k kvFunc) Store(ctx context.Context, a *Annex, key, file string) error {
	return k.store(ctx, a, key, file)
}
func (kvFunc) Retrieve(context.Context, *Annex, string, string) error     { return nil }
func (kvFunc) CheckPresent(context.Context, *Annex, string) (bool, error) { return false, nil }
func (kvFunc) Remove(context.Context, *Annex, string) error               { return nil }

func TestProgressThrottled(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1e9, 0)}
	r := kvFunc{store: func(ctx context.Context, a *Annex, key, file string) error {
		a.Progress(10) // at the start: held
		clock.advance(100 * time.Millisecond)
		a.Progress(30) // 100 ms in: held
		clock.advance(150 * time.Millisecond)
		a.Progress(40) // 250 ms in: sent
		a.Progress(40) // unchanged: not repeated
		clock.advance(100 * time.Millisecond)
		a.Progress(45) // 100 ms after the last line: held
		clock.advance(time.Second)
		a.Progress(50) // sent
		a.Progress(60) // held, then dropped: the success says it all
		return nil
	}}
	got := script(t, r, config{now: clock.now},
		"EXTENSIONS", "PREPARE", "TRANSFER STORE K f", "TRANSFER STORE K f")
	want := "VERSION 2\nEXTENSIONS \nPREPARE-SUCCESS\n" +
		strings.Repeat("PROGRESS 40\nPROGRESS 50\nTRANSFER-SUCCESS STORE K\n", 2)
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// A transfer that ends within the first interval sends no PROGRESS when it
// succeeds. A failure reports the bytes moved, however quick: git-annex
// retries a failed transfer only when it saw progress (FIELD-GUIDE,
// transcripts 34 and 35).
func TestProgressOfQuickTransfer(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{nil, "TRANSFER-SUCCESS STORE K\n"},
		{io.ErrUnexpectedEOF, "PROGRESS 7\nTRANSFER-FAILURE STORE K unexpected EOF\n"},
	} {
		clock := &fakeClock{t: time.Unix(1e9, 0)}
		r := kvFunc{store: func(ctx context.Context, a *Annex, key, file string) error {
			a.Progress(3)
			clock.advance(progressInterval - time.Millisecond)
			a.Progress(7)
			return c.err
		}}
		got := script(t, r, config{now: clock.now}, "EXTENSIONS", "TRANSFER STORE K f")
		if want := "VERSION 2\nEXTENSIONS \n" + c.want; got != want {
			t.Errorf("store ending in %v: got:\n%s\nwant:\n%s", c.err, got, want)
		}
	}
}

// ProgressReader and ProgressWriter report running totals; with a clock
// that moves 1 s per chunk every total is sent.
func TestProgressReaderWriter(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1e9, 0)}
	r := kvFunc{store: func(ctx context.Context, a *Annex, key, file string) error {
		src := a.ProgressReader(&tickingReader{r: strings.NewReader("0123456789"), clock: clock, chunk: 4})
		var sink bytes.Buffer
		if _, err := io.Copy(io.Discard, src); err != nil {
			return err
		}
		w := a.ProgressWriter(&sink)
		for _, s := range []string{"ab", "cde"} {
			clock.advance(time.Second)
			io.WriteString(w, s)
		}
		return nil
	}}
	got := script(t, r, config{now: clock.now}, "EXTENSIONS", "TRANSFER STORE K f")
	want := "VERSION 2\nEXTENSIONS \nPROGRESS 4\nPROGRESS 8\nPROGRESS 10\nPROGRESS 2\nPROGRESS 5\nTRANSFER-SUCCESS STORE K\n"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// A copy into a writer that has its own ReadFrom (a file, for
// copy_file_range) goes through it, chunk by chunk, with progress between.
func TestProgressWriterReadFrom(t *testing.T) {
	defer func(old int64) { readFromChunk = old }(readFromChunk)
	readFromChunk = 4
	clock := &fakeClock{t: time.Unix(1e9, 0)}
	var sink readFromSink
	r := kvFunc{store: func(ctx context.Context, a *Annex, key, file string) error {
		src := &tickingReader{r: strings.NewReader("0123456789"), clock: clock, chunk: 4}
		_, err := io.Copy(a.ProgressWriter(&sink), src)
		return err
	}}
	got := script(t, r, config{now: clock.now}, "EXTENSIONS", "TRANSFER STORE K f")
	want := "VERSION 2\nEXTENSIONS \nPROGRESS 4\nPROGRESS 8\nPROGRESS 10\nTRANSFER-SUCCESS STORE K\n"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if sink.String() != "0123456789" || sink.readFroms != 3 {
		t.Errorf("sink got %q in %d ReadFrom calls, want all 10 bytes in 3", sink.String(), sink.readFroms)
	}
}

type readFromSink struct {
	bytes.Buffer
	readFroms int
}

func (s *readFromSink) ReadFrom(r io.Reader) (int64, error) {
	s.readFroms++
	return s.Buffer.ReadFrom(r)
}

type tickingReader struct {
	r     io.Reader
	clock *fakeClock
	chunk int
}

func (t *tickingReader) Read(p []byte) (int, error) {
	t.clock.advance(time.Second)
	if len(p) > t.chunk {
		p = p[:t.chunk]
	}
	return t.r.Read(p)
}

func TestProgressState(t *testing.T) {
	t0 := time.Unix(0, 0)
	var p progressState
	p.begin(t0)
	steps := []struct {
		n    int64
		at   time.Duration
		send bool
	}{
		{0, 0, false},
		{5, 10 * time.Millisecond, false},
		{6, 249 * time.Millisecond, false},
		{7, 250 * time.Millisecond, true},
		{7, 900 * time.Millisecond, false},
		{8, 900 * time.Millisecond, true},
	}
	for i, s := range steps {
		if got := p.report(s.n, t0.Add(s.at)); got != s.send {
			t.Errorf("step %d: report(%d) = %v, want %v", i, s.n, got, s.send)
		}
	}
	if _, ok := p.final(); ok {
		t.Error("final after everything was sent")
	}
	p.report(9, t0.Add(901*time.Millisecond))
	if n, ok := p.final(); !ok || n != 9 {
		t.Errorf("final = %d, %v; want 9, true", n, ok)
	}
}

// A line over the limit is answered ERROR and skipped whole; the session
// goes on with the next line.
func TestLineTooLong(t *testing.T) {
	got := script(t, prepareOnly{}, config{maxLine: 64},
		"EXTENSIONS", "EXPORT "+strings.Repeat("n", 100), "PREPARE")
	want := "VERSION 2\nEXTENSIONS \nERROR line too long\nPREPARE-SUCCESS\n"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// Under ASYNC an over-long line cannot be tied to a job: a bare ERROR.
func TestLineTooLongAsync(t *testing.T) {
	var out, stderr bytes.Buffer
	in := strings.NewReader("EXTENSIONS ASYNC\nJ 1 EXPORT " + strings.Repeat("n", 100) + "\nJ 1 PREPARE\n")
	if err := serve(context.Background(), prepareOnly{}, in, &out, Options{Stderr: &stderr}, config{maxLine: 64}); err != nil {
		t.Fatal(err)
	}
	want := "VERSION 2\nEXTENSIONS ASYNC\nERROR line too long\nJ 1 PREPARE-SUCCESS\n"
	if out.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", out.String(), want)
	}
}

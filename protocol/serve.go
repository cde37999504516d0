package protocol

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options adjust [Serve].
type Options struct {
	// Stderr receives diagnostics: protocol violations, recovered panics,
	// ERRORs from git-annex. nil means os.Stderr. Nothing but protocol
	// lines is ever written to the out writer.
	Stderr io.Writer
	// DisableAsync declines the ASYNC extension even when git-annex offers
	// it, so requests arrive one at a time.
	DisableAsync bool
}

// config holds the seams tests inject; Serve uses the defaults.
type config struct {
	now     func() time.Time // clock for progress throttling
	maxLine int              // longest accepted line
}

// Serve speaks the external special remote protocol with git-annex, reading
// its messages from in and writing replies to out (normally os.Stdin and
// os.Stdout), until in ends. r answers the requests; see the package
// documentation for how each request maps to a method.
//
// Serve returns nil at end of input. It returns an error when git-annex
// refuses VERSION 2, when reading or writing fails, or when ctx is
// cancelled; handlers get a context derived from ctx, and Serve waits for
// running handlers to return before it does. A read blocked in in is not
// interrupted: after a cancellation, the caller is expected to exit.
func Serve(ctx context.Context, r Remote, in io.Reader, out io.Writer, opts Options) error {
	return serve(ctx, r, in, out, opts, config{})
}

func serve(ctx context.Context, r Remote, in io.Reader, out io.Writer, opts Options, cfg config) error {
	if cfg.now == nil {
		cfg.now = time.Now
	}
	if cfg.maxLine <= 0 {
		cfg.maxLine = DefaultMaxLine
	}
	stderr := opts.Stderr
	if stderr == nil {
		stderr = os.Stderr
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	s := &session{
		remote: r,
		opts:   opts,
		cfg:    cfg,
		stderr: stderr,
		ctx:    ctx,
		jobs:   make(map[string]*job),
	}
	s.w = &lineWriter{w: out, onErr: func(err error) {
		// git-annex is gone: stop the handlers instead of letting
		// them work for nobody.
		cancel(fmt.Errorf("writing to git-annex: %w", err))
	}}

	readDone := make(chan error, 1)
	go func() { readDone <- s.read(newLineReader(in, cfg.maxLine)) }()
	var err error
	select {
	case err = <-readDone:
	case <-ctx.Done():
		err = context.Cause(ctx)
	}
	s.closeJobs()
	s.wg.Wait()
	s.ended.Store(true)
	if err == nil && ctx.Err() != nil {
		err = context.Cause(ctx)
	}
	return err
}

// session is one conversation with git-annex.
type session struct {
	remote Remote
	opts   Options
	cfg    config
	ctx    context.Context
	w      *lineWriter

	logMu  sync.Mutex
	stderr io.Writer

	// Negotiated by the reader before any job starts, read-only after.
	async      bool // ASYNC: every line carries "J n"
	info       bool // INFO may be sent
	remoteName bool // GETGITREMOTENAME may be sent
	importKey  bool // IMPORTKEY accepted

	// lastName is the job whose EXPORT, IMPORT or LOCATION (or a
	// continuation of it) was the last line read: a following line that is
	// not a message continues that name. Owned by the reader goroutine.
	lastName *job
	// servedName is set when the last line read was a request ending in a
	// name (see [endsInName]) or a continuation of it: a following line
	// that is not a message continues a name already handed to its job,
	// and is dropped. Owned by the reader goroutine.
	servedName bool
	// lastPrepare is the last PREPARE read (see prepare_gate.go). Owned by
	// the reader goroutine.
	lastPrepare chan struct{}

	mu     sync.Mutex
	jobs   map[string]*job
	closed bool // no new jobs; queued work still runs
	wg     sync.WaitGroup

	ended atomic.Bool // Serve has returned: write nothing more
}

const versionHelp = `git-annex refused "VERSION 2" with: %s
This remote needs a git-annex that speaks version 2 of the external special
remote protocol: any git-annex released since 2020 does (10.20230126 and newer
are tested). Please upgrade git-annex.`

// read runs the handshake and then routes every line to its job. It returns
// nil at end of input.
func (s *session) read(lr *lineReader) error {
	if err := s.sendBare(msg("VERSION", "2")); err != nil {
		return err
	}
	line, err := lr.readLine()
	if err == nil {
		m, perr := parseLine(line, false)
		switch {
		case perr == nil && m.word == "ERROR":
			s.logf(versionHelp, m.params[0])
			return fmt.Errorf("git-annex refused VERSION 2: %s", m.params[0])
		case perr == nil && m.word == "EXTENSIONS":
			if err := s.negotiate(m.params[0]); err != nil {
				return err
			}
			line, err = lr.readLine()
		}
		// Anything else comes from a git-annex older than EXTENSIONS
		// (2020): no extensions, and the line is a request.
	}
	for {
		switch {
		case err == io.EOF:
			return nil
		case err != nil && !errors.Is(err, errLineTooLong) && !errors.Is(err, errUnterminated):
			return fmt.Errorf("reading from git-annex: %w", err)
		}
		s.route(lr, line, err)
		line, err = lr.readLine()
	}
}

// negotiate answers EXTENSIONS with exactly the offered extensions this
// package implements, in git-annex's order: naming one it did not offer
// makes 10.20230126 give up on the remote. IMPORTKEY is accepted only for
// an [ImportKeyer]: once accepted, git-annex asks IMPORTKEY for every file
// it imports.
func (s *session) negotiate(offered string) error {
	_, importKeyer := s.remote.(ImportKeyer)
	var accepted []string
	for _, e := range strings.Fields(offered) {
		switch {
		case e == "INFO" && !s.info:
			s.info = true
		case e == "GETGITREMOTENAME" && !s.remoteName:
			s.remoteName = true
		case e == "ASYNC" && !s.async && !s.opts.DisableAsync:
			s.async = true
		case e == "IMPORTKEY" && !s.importKey && importKeyer:
			s.importKey = true
		default:
			continue
		}
		accepted = append(accepted, e)
	}
	return s.sendBare(msg("EXTENSIONS", strings.Join(accepted, " ")))
}

// route hands one line (or a read error for it) to the job it belongs to.
// Jobs answer in the order their lines arrived, so even an ERROR for a
// malformed line is queued behind the job's earlier work.
func (s *session) route(lr *lineReader, line string, rerr error) {
	if rerr != nil {
		s.lastName, s.servedName = nil, false
		s.logf("protocol: %v", rerr)
		s.deliverBad(rerr, message{})
		return
	}
	m, err := parseLine(line, s.async)
	if s.continuesName(m, err) {
		// 10.20230126 sends a newline in a file name raw.
		switch {
		case s.lastName != nil:
			s.lastName.push(event{kind: evMore, text: line})
			return
		case s.servedName:
			// Answering it would put every later reply out of step.
			s.logf("protocol: dropping %q: it continues the name of a request already being served", line)
			return
		}
	}
	s.lastName, s.servedName = nil, false
	if s.async && m.job == "" {
		if err != nil {
			s.logf("protocol: %v: %q", err, line)
			s.sendBare(errorLine(err.Error()))
			return
		}
		s.relayError(m)
		return
	}
	if err != nil {
		s.logf("protocol: %v", err)
		s.deliverBad(err, m)
		return
	}
	j := s.jobFor(m.job)
	if j == nil {
		return
	}
	if endsInName(m.word) {
		s.joinBufferedName(lr, &m)
		s.servedName = true
	}
	ev := event{kind: evMsg, msg: m}
	s.gate(&ev)
	j.push(ev)
	if setsName(m.word) {
		s.lastName = j
	}
	// Let the job run on this thread now: the reader's next read blocks in
	// a system call, and a job left waiting for another thread to steal
	// it starts 50–100 µs later on a small VM (BENCHMARKS.md, round trips).
	runtime.Gosched()
}

// continuesName reports whether a line read right after a name (that of
// an EXPORT, IMPORT or LOCATION, or one that ends a request) is the rest of
// it rather than a message: without ASYNC, a line whose word is not in the
// table; with ASYNC, a line without a job number.
func (s *session) continuesName(m message, err error) bool {
	if s.async {
		return err == errNoJob
	}
	return !m.known
}

// joinBufferedName appends to m's name, the last parameter, the lines
// already read that continue it, each after the newline it stood for.
// git-annex writes a message with one write, so they are normally there;
// waiting for more could block the session, so a part not yet read is
// dropped when it comes.
func (s *session) joinBufferedName(lr *lineReader, m *message) {
	for {
		line, ok := lr.bufferedLine()
		if !ok {
			return
		}
		if next, err := parseLine(line, s.async); !s.continuesName(next, err) {
			return
		}
		lr.readLine() // the line just peeked at
		m.params[len(m.params)-1] += "\n" + line
	}
}

// deliverBad queues the ERROR for a line that broke the protocol on the job
// it belongs to; m is what could be parsed of it (its word tells a query
// waiting for an answer that this malformed line was the answer).
func (s *session) deliverBad(err error, m message) {
	if s.async && m.job == "" {
		s.sendBare(errorLine(err.Error()))
		return
	}
	if j := s.jobFor(m.job); j != nil {
		j.push(event{kind: evBad, msg: m, err: err})
	}
}

// relayError handles a bare ERROR under ASYNC: it answers whichever jobs
// are awaiting a reply, or still owed one by a query given up on, as
// git-annex relays the remote's bare ERROR to all of its jobs.
func (s *session) relayError(m message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, j := range s.jobs {
		if j.wantsAnswer() {
			j.push(event{kind: evMsg, msg: m})
			n++
		}
	}
	if n == 0 {
		s.logf("git-annex: ERROR %s", m.params[0])
	}
}

// jobFor returns the job with id, starting it on first use; nil once the
// session is closing. Job numbers are reused by git-annex, so a job lives
// until the session ends.
func (s *session) jobFor(id string) *job {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	j := s.jobs[id]
	if j == nil {
		j = newJob(s, id)
		s.jobs[id] = j
		s.wg.Add(1)
		go j.run()
	}
	return j
}

// closeJobs lets every job finish what is queued and then stop.
func (s *session) closeJobs() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for _, j := range s.jobs {
		j.close()
	}
}

// sendBare writes a message without a job number (VERSION, EXTENSIONS,
// ERROR).
func (s *session) sendBare(m message) error {
	return s.write(m)
}

// write writes lines together, or nothing once Serve has returned: a reader
// still blocked in Read after a cancellation must not answer a late line.
// (A line already being written when Serve returns may still finish;
// holding a lock across a blocked Write would stop Serve from returning at
// all.)
func (s *session) write(ms ...message) error {
	if s.ended.Load() {
		return errSessionEnded
	}
	return s.w.write(ms...)
}

var errSessionEnded = errors.New("session has ended")

func (s *session) logf(format string, args ...any) {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	fmt.Fprintf(s.stderr, format+"\n", args...)
}

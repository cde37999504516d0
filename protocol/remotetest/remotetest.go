// Package remotetest plays git-annex's side of the external special remote
// protocol, so that tests and benchmarks can drive any remote — this
// project's program, a function serving pipes, or somebody else's remote —
// the way git-annex does, without git-annex.
//
// A Session answers the remote's queries itself, as git-annex does
// (GETCONFIG from [Options.Config], GETCREDS, GETUUID, GETGITDIR, GETSTATE,
// DIRHASH, GETURLS, ...), records its notes (DEBUG, INFO) and settings
// (SETCONFIG, SETCREDS, SETSTATE, SETWANTED, SETURLPRESENT, ...), and hands
// every other line to the caller as the reply. Every wait is bounded by
// [Options.Timeout], so a remote that hangs fails the test instead of
// hanging it. ASYNC is not spoken: the session is one job.
package remotetest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"maps"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// Options configure the git-annex side of a session.
type Options struct {
	// Config answers GETCONFIG; a missing setting is answered "VALUE ".
	Config map[string]string
	// Creds answers GETCREDS by setting name: {user, password}. SETCREDS
	// adds to it for the rest of the session (see [Session.Creds]).
	Creds map[string][2]string
	// State answers GETSTATE; SETSTATE adds to it (see [Session.State]).
	// Pass one session's State to the next to keep it, as git-annex does.
	State map[string]string
	// URLs answers GETURLS: the URLs (and URIs) git-annex knows for a key.
	// SETURLPRESENT and SETURIPRESENT add to them, SETURLMISSING and
	// SETURIMISSING take away (see [Session.URLs]).
	URLs map[string][]string
	// UUID, GitDir and RemoteName answer GETUUID, GETGITDIR and
	// GETGITREMOTENAME.
	UUID, GitDir, RemoteName string
	// Timeout bounds each wait for a line, each write to the remote, and
	// the wait for the remote to exit at Close (and again once Close has
	// killed it) or Kill. Zero means 10 seconds.
	Timeout time.Duration
	// Transcript, when set, receives every line both ways, prefixed with
	// "<- " (to the remote) or "-> " (from it), as in ../shared transcripts.
	Transcript io.Writer
}

// ErrTimeout reports a remote that did not answer, read its input or end
// within Options.Timeout.
var ErrTimeout = errors.New("remotetest: no line from the remote in time")

// ErrClosed reports a remote that closed its output (exited) while an
// answer was awaited.
var ErrClosed = errors.New("remotetest: the remote closed its output")

// Session is one conversation with a remote.
type Session struct {
	opts Options
	in   io.WriteCloser
	wait func() error // waits for the remote to end; called once, by watch
	kill func()

	watchOnce sync.Once
	ended     chan struct{} // closed when wait has returned
	endErr    error         // what wait returned

	// The lines read from the remote and not yet taken by Next, without a
	// bound: a remote is never blocked writing while the caller sends.
	qmu    sync.Mutex
	queue  []string
	eof    bool          // the remote's output has ended
	arrive chan struct{} // closed, and replaced, when a line arrives or eof is set

	mu       sync.Mutex
	notes    []string
	settings map[string]string
	creds    map[string][2]string
	state    map[string]string
	urls     map[string][]string
	wanted   string
}

// Start runs cmd as a remote. cmd's Stdin and Stdout must be unset; its
// Stderr is left to the caller.
func Start(cmd *exec.Cmd, opts Options) (*Session, error) {
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := newSession(in, out, opts)
	s.wait = cmd.Wait
	s.kill = func() { cmd.Process.Kill() }
	return s, nil
}

// Serve runs serve in a goroutine as a remote, over pipes. serve must
// return at end of input; its error is what Close returns.
func Serve(serve func(stdin io.Reader, stdout io.Writer) error, opts Options) *Session {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := serve(inR, outW)
		inR.CloseWithError(errors.New("remotetest: the remote has returned"))
		outW.Close()
		done <- err
	}()
	s := newSession(inW, outR, opts)
	s.wait = func() error { return <-done }
	s.kill = func() { inW.CloseWithError(errors.New("remotetest: killed")); outR.Close() }
	return s
}

func newSession(in io.WriteCloser, out io.Reader, opts Options) *Session {
	if opts.Timeout == 0 {
		opts.Timeout = 10 * time.Second
	}
	s := &Session{opts: opts, in: in, arrive: make(chan struct{}), ended: make(chan struct{}),
		settings: map[string]string{}, creds: map[string][2]string{}, state: map[string]string{},
		urls: map[string][]string{}}
	maps.Copy(s.creds, opts.Creds)
	maps.Copy(s.state, opts.State)
	for key, urls := range opts.URLs {
		s.urls[key] = slices.Clone(urls)
	}
	go s.read(out)
	return s
}

// read feeds lines from the remote to the channel until its output ends. A
// last line without a newline is delivered with an "UNTERMINATED " prefix so
// that a test sees it.
func (s *Session) read(out io.Reader) {
	br := bufio.NewReader(out)
	for {
		line, err := br.ReadString('\n')
		s.qmu.Lock()
		switch {
		case err == nil:
			s.queue = append(s.queue, strings.TrimSuffix(line, "\n"))
		case line != "":
			s.queue = append(s.queue, "UNTERMINATED "+line)
		}
		s.eof = err != nil
		close(s.arrive)
		s.arrive = make(chan struct{})
		s.qmu.Unlock()
		if err != nil {
			return
		}
	}
}

// take returns the next line read, or ok false if there is none yet, with
// closed true if there will be none and arrive closed when there may be.
func (s *Session) take() (line string, ok, closed bool, arrive <-chan struct{}) {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	if len(s.queue) == 0 {
		return "", false, s.eof, s.arrive
	}
	line = s.queue[0]
	s.queue[0] = ""
	s.queue = s.queue[1:]
	return line, true, false, nil
}

func (s *Session) log(dir, line string) {
	if s.opts.Transcript != nil {
		s.mu.Lock()
		fmt.Fprintf(s.opts.Transcript, "%s %s\n", dir, line)
		s.mu.Unlock()
	}
}

// Send writes one line to the remote.
func (s *Session) Send(line string) error {
	s.log("<-", line)
	return s.write(line)
}

// write writes line to the remote within Options.Timeout: a remote that
// stops reading its input fails the test instead of hanging it (a pipe
// from Serve holds nothing).
func (s *Session) write(line string) error {
	done := make(chan error, 1)
	go func() {
		_, err := io.WriteString(s.in, line+"\n")
		done <- err
	}()
	timer := time.NewTimer(s.opts.Timeout)
	defer timer.Stop()
	select {
	case err := <-done:
		return err
	case <-timer.C:
		return fmt.Errorf("remotetest: the remote did not read %.40q: %w", line, ErrTimeout)
	}
}

// Next returns the next line from the remote that is not a query the
// session answers or a note it records.
func (s *Session) Next() (string, error) {
	timer := time.NewTimer(s.opts.Timeout)
	defer timer.Stop()
	for {
		line, ok, closed, arrive := s.take()
		switch {
		case ok:
			s.log("->", line)
			answered, err := s.answer(line)
			if err != nil {
				return "", err
			}
			if !answered {
				return line, nil
			}
			timer.Reset(s.opts.Timeout)
		case closed:
			return "", ErrClosed
		default:
			select {
			case <-arrive:
			case <-timer.C:
				return "", ErrTimeout
			}
		}
	}
}

// answer handles the remote's queries and notes; it reports false for a
// line that is the caller's to read, which includes a query git-annex
// cannot parse (a protocol error there).
func (s *Session) answer(line string) (bool, error) {
	word, rest, _ := strings.Cut(line, " ")
	switch word {
	case "GETUUID", "GETGITDIR", "GETGITREMOTENAME", "GETWANTED":
		if rest != "" { // they take no parameter
			return false, nil
		}
	case "PROGRESS":
		if !leadingInteger.MatchString(rest) { // git-annex reads a number
			return false, nil
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch word {
	case "DEBUG", "INFO":
		s.notes = append(s.notes, line)
		return true, nil
	case "PROGRESS":
		return true, nil
	case "GETCONFIG":
		return true, s.sendLocked("VALUE " + s.opts.Config[rest])
	case "SETCONFIG":
		name, value, _ := strings.Cut(rest, " ")
		s.settings[name] = value
		return true, nil
	case "GETCREDS":
		c := s.creds[rest]
		return true, s.sendLocked("CREDS " + c[0] + " " + c[1])
	case "SETCREDS":
		// SETCREDS setting user password; the password may hold spaces.
		fields := strings.SplitN(rest, " ", 3)
		if len(fields) == 3 {
			s.creds[fields[0]] = [2]string{fields[1], fields[2]}
		}
		return true, nil
	case "GETUUID":
		return true, s.sendLocked("VALUE " + s.opts.UUID)
	case "GETGITDIR":
		return true, s.sendLocked("VALUE " + s.opts.GitDir)
	case "GETGITREMOTENAME":
		return true, s.sendLocked("VALUE " + s.opts.RemoteName)
	case "GETSTATE":
		return true, s.sendLocked("VALUE " + s.state[rest])
	case "SETSTATE":
		key, value, _ := strings.Cut(rest, " ")
		s.state[key] = value
		return true, nil
	case "DIRHASH":
		return true, s.sendLocked("VALUE " + dirHashMixed(rest))
	case "DIRHASH-LOWER":
		return true, s.sendLocked("VALUE " + dirHashLower(rest))
	case "SETWANTED":
		s.wanted = rest
		return true, nil
	case "GETWANTED":
		return true, s.sendLocked("VALUE " + s.wanted)
	case "SETURLPRESENT", "SETURIPRESENT":
		key, url, _ := strings.Cut(rest, " ")
		if !slices.Contains(s.urls[key], url) {
			s.urls[key] = append(s.urls[key], url)
		}
		return true, nil
	case "SETURLMISSING", "SETURIMISSING":
		key, url, _ := strings.Cut(rest, " ")
		s.urls[key] = slices.DeleteFunc(s.urls[key], func(u string) bool { return u == url })
		return true, nil
	case "GETURLS":
		// One VALUE per URL with the prefix, then an empty VALUE.
		key, prefix, _ := strings.Cut(rest, " ")
		for _, url := range s.urls[key] {
			if strings.HasPrefix(url, prefix) {
				if err := s.sendLocked("VALUE " + url); err != nil {
					return true, err
				}
			}
		}
		return true, s.sendLocked("VALUE ")
	}
	return false, nil
}

// leadingInteger is what git-annex accepts as PROGRESS's byte count: it
// reads an integer from the start and ignores the rest.
var leadingInteger = regexp.MustCompile(`^\s*-?[0-9]`)

func (s *Session) sendLocked(line string) error {
	if s.opts.Transcript != nil {
		fmt.Fprintf(s.opts.Transcript, "<- %s\n", line)
	}
	return s.write(line)
}

// Request sends line and returns the remote's reply to it.
func (s *Session) Request(line string) (string, error) {
	if err := s.Send(line); err != nil {
		return "", err
	}
	return s.Next()
}

// Handshake reads the remote's VERSION line and negotiates extensions,
// returning the remote's. It fails unless the remote speaks VERSION 1 or 2.
func (s *Session) Handshake(extensions ...string) ([]string, error) {
	version, err := s.Next()
	if err != nil {
		return nil, err
	}
	if version != "VERSION 1" && version != "VERSION 2" {
		return nil, fmt.Errorf("remotetest: first line %q, want VERSION 1 or 2", version)
	}
	reply, err := s.Request(strings.TrimSpace("EXTENSIONS " + strings.Join(extensions, " ")))
	if err != nil {
		return nil, err
	}
	words := strings.Fields(reply)
	if len(words) == 0 || words[0] != "EXTENSIONS" {
		// Remotes older than the EXTENSIONS message answer
		// UNSUPPORTED-REQUEST; they have none.
		if reply == "UNSUPPORTED-REQUEST" {
			return nil, nil
		}
		return nil, fmt.Errorf("remotetest: EXTENSIONS answered %q", reply)
	}
	return words[1:], nil
}

// Notes returns the DEBUG and INFO lines seen so far.
func (s *Session) Notes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.notes...)
}

// Settings returns what the remote stored with SETCONFIG so far.
func (s *Session) Settings() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.settings)
}

// Creds returns the credentials known so far: Options.Creds and what the
// remote stored with SETCREDS.
func (s *Session) Creds() map[string][2]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.creds)
}

// URLs returns the URLs known so far for each key: Options.URLs and what
// the remote set present or missing.
func (s *Session) URLs() map[string][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	urls := map[string][]string{}
	for key, u := range s.urls {
		if len(u) > 0 {
			urls[key] = slices.Clone(u)
		}
	}
	return urls
}

// Wanted returns the preferred content expression the remote set with
// SETWANTED ("" when none).
func (s *Session) Wanted() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.wanted
}

// State returns the state known so far: Options.State and what the remote
// stored with SETSTATE.
func (s *Session) State() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.state)
}

// watch starts waiting for the remote to end, once.
func (s *Session) watch() {
	s.watchOnce.Do(func() {
		go func() {
			s.endErr = s.wait()
			close(s.ended)
		}()
	})
}

// ending waits up to Options.Timeout for the remote to end and returns
// how it ended, or ErrTimeout.
func (s *Session) ending() error {
	s.watch()
	timer := time.NewTimer(s.opts.Timeout)
	defer timer.Stop()
	select {
	case <-s.ended:
		return s.endErr
	case <-timer.C:
		return ErrTimeout
	}
}

// Close ends the session as git-annex does, by closing the remote's input,
// and returns how the remote ended. A remote that does not end within
// Options.Timeout is killed and ErrTimeout returned. Close and Kill may be
// called again; they report the same end.
func (s *Session) Close() error {
	s.in.Close()
	err := s.ending()
	if errors.Is(err, ErrTimeout) && !s.hasEnded() {
		s.kill()
		s.ending()
		return ErrTimeout
	}
	return err
}

// Kill stops the remote at once (SIGKILL for a process) and waits for it,
// up to Options.Timeout (a Serve function that ignores its closed pipes
// cannot be stopped).
func (s *Session) Kill() error {
	s.kill()
	s.in.Close()
	return s.ending()
}

func (s *Session) hasEnded() bool {
	select {
	case <-s.ended:
		return true
	default:
		return false
	}
}

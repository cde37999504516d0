package testscript_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/exporttree/git-annex-remote-exporttree/protocol/remotetest"
	"github.com/rogpeppe/go-internal/testscript"
)

// The annex command plays git-annex against the remote under conformance
// test, following a session file:
//
//	# a comment (blank lines are ignored too)
//	handshake EXT...  read VERSION 1 or 2, offer EXTENSIONS EXT..., and accept
//	                  an answer naming only offered ones (or UNSUPPORTED-REQUEST)
//	> LINE            send LINE to the remote, exactly (trailing spaces too)
//	>? LINE           send an optional request: if the remote answers
//	                  UNSUPPORTED-REQUEST it lacks the feature, and the rest of
//	                  the script is skipped; any other reply is checked by the
//	                  "<" below
//	< WANT            the remote's next reply is WANT
//	<* WANT           any number of replies that are WANT (then a "<" follows)
//	or WANT           another reply the protocol allows in place of the one above
//	stop WANT         another reply allowed in place of the one above, after
//	                  which git-annex sends nothing more: the session ends there
//	                  and passes (PREPARE-FAILURE, for instance)
//
// WANT is a line, or "~ " and a regular expression the whole reply must
// match, as in cmpwire. Queries from the remote (GETCONFIG, GETCREDS,
// GETUUID, ...) are answered and notes (DEBUG, INFO, PROGRESS) recorded by
// [remotetest]; they are not replies. Each annex command is one process, as
// each git-annex command is.

// stepKind is what one line of a session file does.
type stepKind int

const (
	stepHandshake stepKind = iota
	stepSend
	stepOptional
	stepExpect
	stepRepeat
)

// A sessionStep is one line of a session file, with its alternatives.
type sessionStep struct {
	line  int // in the session file, for messages
	kind  stepKind
	text  string         // the line to send; the handshake's offer
	wants []sessionReply // stepExpect, stepRepeat: the replies allowed
}

// A sessionReply is one reply a step allows.
type sessionReply struct {
	text  string
	match func(string) bool
	stop  bool // the session ends after it
}

// matches returns the alternative reply matches, or nil.
func (st *sessionStep) matches(reply string) *sessionReply {
	for i := range st.wants {
		if st.wants[i].match(reply) {
			return &st.wants[i]
		}
	}
	return nil
}

// parseSession reads a session file.
func parseSession(name, data string) ([]*sessionStep, error) {
	var steps []*sessionStep
	for i, line := range strings.Split(strings.TrimSuffix(data, "\n"), "\n") {
		n := i + 1
		errorf := func(format string, args ...any) error {
			return fmt.Errorf("%s:%d: %s", name, n, fmt.Sprintf(format, args...))
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		word, rest, _ := strings.Cut(line, " ")
		var st *sessionStep
		switch word {
		case "handshake":
			if len(steps) > 0 {
				return nil, errorf("handshake must come first")
			}
			st = &sessionStep{kind: stepHandshake, text: rest}
		case ">", ">?":
			if rest == "" {
				return nil, errorf("nothing to send")
			}
			st = &sessionStep{kind: stepSend, text: rest}
			if word == ">?" {
				st.kind = stepOptional
			}
		case "<", "<*", "or", "stop":
			m, err := wirePattern(rest)
			if err != nil {
				return nil, errorf("%v", err)
			}
			w := sessionReply{text: rest, match: m, stop: word == "stop"}
			if word == "or" || word == "stop" {
				if len(steps) == 0 || steps[len(steps)-1].kind != stepExpect &&
					(word == "stop" || steps[len(steps)-1].kind != stepRepeat) {
					return nil, errorf("%s must follow a < line", word)
				}
				last := steps[len(steps)-1]
				last.wants = append(last.wants, w)
				continue
			}
			st = &sessionStep{kind: stepExpect, wants: []sessionReply{w}}
			if word == "<*" {
				st.kind = stepRepeat
			}
		default:
			return nil, errorf("unknown line %q (want handshake, >, >?, <, <*, or, stop, #)", line)
		}
		st.line = n
		steps = append(steps, st)
	}
	// A repeat or an optional request reads one reply past itself: another
	// expectation must take it, or the session would wait for a reply that
	// never comes.
	for i, st := range steps {
		if (st.kind == stepRepeat || st.kind == stepOptional) &&
			(i+1 == len(steps) || steps[i+1].kind != stepExpect) {
			return nil, fmt.Errorf("%s:%d: a < line must follow", name, st.line)
		}
	}
	return steps, nil
}

// sessionError is a reply the session file does not allow.
type sessionError struct {
	file  string
	step  *sessionStep
	after string // the last line sent
	reply string
	err   error // reading the reply failed instead
}

func (e *sessionError) Unwrap() error { return e.err }

func (e *sessionError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d: ", e.file, e.step.line)
	if e.after != "" {
		fmt.Fprintf(&b, "after %q, ", e.after)
	}
	if e.err != nil {
		fmt.Fprintf(&b, "no reply: %v\n", e.err)
	} else {
		fmt.Fprintf(&b, "the remote replied\n    %q\n", e.reply)
	}
	b.WriteString("want")
	if len(e.step.wants) > 1 {
		b.WriteString(" one of")
	}
	b.WriteString(":\n")
	for _, w := range e.step.wants {
		fmt.Fprintf(&b, "    %q\n", w.text)
	}
	return b.String()
}

// runSession plays steps against s. It returns the reason to skip the rest
// of the script when an optional request was unsupported.
func runSession(s *remotetest.Session, file string, steps []*sessionStep) (skip string, err error) {
	var pending *string // a reply read ahead, for the next expectation
	next := func() (string, error) {
		if pending != nil {
			line := *pending
			pending = nil
			return line, nil
		}
		return s.Next()
	}
	sent := ""
	for _, st := range steps {
		switch st.kind {
		case stepHandshake:
			offer := strings.Fields(st.text)
			got, err := s.Handshake(offer...)
			if err != nil {
				return "", fmt.Errorf("%s:%d: start-up: %w", file, st.line, err)
			}
			for _, ext := range got {
				if !slices.Contains(offer, ext) {
					return "", fmt.Errorf("%s:%d: the remote accepted the extension %s, which git-annex did not offer "+
						"(git-annex 10.20230126 then gives up on the remote)", file, st.line, ext)
				}
			}
		case stepSend, stepOptional:
			if err := s.Send(st.text); err != nil {
				return "", fmt.Errorf("%s:%d: sending %q: %w", file, st.line, st.text, err)
			}
			sent = st.text
			if st.kind == stepOptional {
				reply, err := next()
				if err != nil {
					return "", &sessionError{file: file, step: st, after: sent, err: err}
				}
				if reply == "UNSUPPORTED-REQUEST" {
					return fmt.Sprintf("%s:%d: the remote answered %q with UNSUPPORTED-REQUEST: the protocol lets it lack this; the rest is not checked",
						file, st.line, st.text), nil
				}
				pending = &reply
			}
		case stepExpect:
			reply, err := next()
			w := st.matches(reply)
			if err != nil || w == nil {
				return "", &sessionError{file: file, step: st, after: sent, reply: reply, err: err}
			}
			if w.stop {
				return "", nil
			}
		case stepRepeat:
			for {
				reply, err := next()
				if err != nil {
					return "", &sessionError{file: file, step: st, after: sent, err: err}
				}
				if st.matches(reply) == nil {
					pending = &reply
					break
				}
			}
		}
	}
	return "", nil
}

// conformanceScript is one script's view of the remote under test, set up
// by TestConformance.
type conformanceScript struct {
	target   *conformanceTarget
	t        testscript.T      // to skip the script
	settings map[string]string // initremote parameters and SETCONFIG so far
}

type conformanceKey struct{}

// replyTimeout bounds each wait for the remote, so that a remote that hangs
// fails its script instead of hanging the suite. It is generous because
// the remote may store to a network service.
const replyTimeout = 60 * time.Second

// annex SESSIONFILE [NAME=VALUE...]: starts the remote under test in the
// current directory and plays git-annex's side of SESSIONFILE (see above).
// The configuration answered to GETCONFIG is the suite's
// (EXPORTTREE_CONFORMANCE_CONFIG, with $WORK and the script's other
// variables expanded) and the NAME=VALUE arguments (exporttree=yes, say).
// As git-annex keeps initremote's parameters and what the remote stores
// with SETCONFIG, both hold for the script's later sessions too.
func cmdAnnex(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: annex SESSIONFILE [NAME=VALUE...]")
	}
	sc, ok := ts.Value(conformanceKey{}).(*conformanceScript)
	if !ok {
		ts.Fatalf("annex runs only in the conformance suite")
	}
	steps, err := parseSession(args[0], ts.ReadFile(args[0]))
	ts.Check(err)
	config, err := parseConfig(strings.Fields(sc.target.config), func(v string) string { return os.Expand(v, ts.Getenv) })
	ts.Check(err)
	// testscript has expanded the arguments already.
	extra, err := parseConfig(args[1:], func(v string) string { return v })
	ts.Check(err)
	for k, v := range extra {
		sc.settings[k] = v
	}
	for k, v := range sc.settings {
		config[k] = v
	}

	cmd := conformanceCommand(sc.target.argv, ts.MkAbs("."), ts.Getenv("TMPDIR"))
	var stderr, transcript bytes.Buffer
	cmd.Stderr = &stderr
	s, err := remotetest.Start(cmd, remotetest.Options{
		Config:     config,
		Creds:      sc.target.creds,
		UUID:       "c0f0a4ce-0000-4000-8000-00000000c0de",
		GitDir:     ".git",
		RemoteName: "conformance",
		Timeout:    replyTimeout,
		Transcript: &transcript,
	})
	ts.Check(err)

	skip, runErr := runSession(s, args[0], steps)
	var closeErr error
	if runErr != nil {
		s.Kill()
	} else {
		closeErr = s.Close()
	}
	// Read only now: the remote has ended, nothing writes to the buffers.
	// The script's log shows them: the transcript as stdout ("<-" to the
	// remote, "->" from it), the remote's stderr as stderr.
	fmt.Fprint(ts.Stdout(), &transcript)
	fmt.Fprint(ts.Stderr(), &stderr)
	if runErr != nil {
		ts.Fatalf("%v", runErr)
	}
	if errors.Is(closeErr, remotetest.ErrTimeout) {
		ts.Fatalf("the remote did not exit within %v of its input closing (git-annex waits for it)", replyTimeout)
	}
	if closeErr != nil {
		ts.Logf("the remote exited: %v (git-annex does not look at the exit status)", closeErr)
	}
	for k, v := range s.Settings() {
		sc.settings[k] = v
	}
	if skip != "" && sc.target.complete {
		ts.Fatalf("%s; but this remote must support it", skip)
	}
	if skip != "" {
		sc.t.Skip(skip)
	}
}

// parseConfig reads NAME=VALUE settings, passing each value through expand.
func parseConfig(fields []string, expand func(string) string) (map[string]string, error) {
	config := map[string]string{}
	for _, field := range fields {
		name, value, ok := strings.Cut(field, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("configuration %q: want NAME=VALUE", field)
		}
		config[name] = expand(value)
	}
	return config, nil
}

// remoteCommand runs argv in dir with the environment go test runs in
// (credentials, the paths of the remote's interpreter, its own
// configuration), its temporary files under tmp.
func conformanceCommand(argv []string, dir, tmp string) *exec.Cmd {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	return cmd
}

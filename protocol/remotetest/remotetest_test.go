package remotetest_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/exporttree/git-annex-remote-exporttree/protocol"
	"github.com/exporttree/git-annex-remote-exporttree/protocol/remotetest"
)

// configRemote asks for its configuration, credentials and UUID at PREPARE
// and remembers the answers.
type configRemote struct{ dir, user, pass, uuid string }

func (r *configRemote) InitRemote(ctx context.Context, a *protocol.Annex) error {
	return a.SetConfig(ctx, "made", "yes")
}

func (r *configRemote) Prepare(ctx context.Context, a *protocol.Annex) (err error) {
	if r.dir, err = a.GetConfig(ctx, "directory"); err != nil {
		return err
	}
	if r.user, r.pass, err = a.GetCreds(ctx, "creds"); err != nil {
		return err
	}
	r.uuid, err = a.GetUUID(ctx)
	a.Debug("prepared")
	return err
}

func serve(r protocol.Remote) func(io.Reader, io.Writer) error {
	return func(in io.Reader, out io.Writer) error {
		return protocol.Serve(context.Background(), r, in, out, protocol.Options{Stderr: io.Discard})
	}
}

func TestSessionAnswersQueries(t *testing.T) {
	r := &configRemote{}
	var transcript strings.Builder
	s := remotetest.Serve(serve(r), remotetest.Options{
		Config:     map[string]string{"directory": "/tmp/x y"},
		Creds:      map[string][2]string{"creds": {"me", "secret"}},
		UUID:       "u-1",
		Transcript: &transcript,
	})
	exts, err := s.Handshake("INFO")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(exts, "INFO") {
		t.Errorf("extensions %q lack INFO", exts)
	}
	for _, step := range []struct{ send, want string }{
		{"INITREMOTE", "INITREMOTE-SUCCESS"},
		{"PREPARE", "PREPARE-SUCCESS"},
	} {
		got, err := s.Request(step.send)
		if err != nil || got != step.want {
			t.Fatalf("%s: got %q, %v; want %q", step.send, got, err, step.want)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if *r != (configRemote{dir: "/tmp/x y", user: "me", pass: "secret", uuid: "u-1"}) {
		t.Errorf("remote saw %+v", *r)
	}
	if got := s.Settings()["made"]; got != "yes" {
		t.Errorf("SETCONFIG made = %q", got)
	}
	if !slices.Contains(s.Notes(), "DEBUG prepared") {
		t.Errorf("notes %q lack the DEBUG line", s.Notes())
	}
	if !strings.Contains(transcript.String(), "-> GETCONFIG directory\n<- VALUE /tmp/x y\n") {
		t.Errorf("transcript lacks the GETCONFIG exchange:\n%s", transcript.String())
	}
}

// A remote that never answers fails the wait instead of hanging it.
func TestSessionTimesOut(t *testing.T) {
	s := remotetest.Serve(func(in io.Reader, out io.Writer) error {
		_, err := io.Copy(io.Discard, in)
		return err
	}, remotetest.Options{Timeout: 50 * time.Millisecond})
	if _, err := s.Next(); !errors.Is(err, remotetest.ErrTimeout) {
		t.Fatalf("Next = %v, want ErrTimeout", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// A process remote that exits is seen as a closed output, and Close
// reports its exit status.
func TestSessionProcessExits(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	cmd := exec.Command(sh, "-c", "echo VERSION 2; read line; printf 'half'; exit 3")
	cmd.Stderr = os.Stderr
	s, err := remotetest.Start(cmd, remotetest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Handshake(); err == nil {
		t.Fatal("handshake with a remote that exits succeeded")
	}
	if got, err := s.Next(); !errors.Is(err, remotetest.ErrClosed) {
		t.Fatalf("Next = %q, %v; want ErrClosed", got, err)
	}
	var exit *exec.ExitError
	if err := s.Close(); !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Fatalf("Close = %v, want exit status 3", err)
	}
}

// credsRemote stores credentials and state at INITREMOTE and reads them back
// at PREPARE, as a remote does across git-annex runs.
type credsRemote struct{ user, pass, state string }

func (r *credsRemote) InitRemote(ctx context.Context, a *protocol.Annex) error {
	if err := a.SetCreds(ctx, "s3creds", "id", "pass word"); err != nil {
		return err
	}
	return a.SetState(ctx, "k", "v 1")
}

func (r *credsRemote) Prepare(ctx context.Context, a *protocol.Annex) (err error) {
	if r.user, r.pass, err = a.GetCreds(ctx, "s3creds"); err != nil {
		return err
	}
	r.state, err = a.GetState(ctx, "k")
	return err
}

func TestSessionKeepsCredsAndState(t *testing.T) {
	first := remotetest.Serve(serve(&credsRemote{}), remotetest.Options{})
	if _, err := first.Handshake(); err != nil {
		t.Fatal(err)
	}
	if got, err := first.Request("INITREMOTE"); err != nil || got != "INITREMOTE-SUCCESS" {
		t.Fatalf("INITREMOTE: %q, %v", got, err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	r := &credsRemote{}
	second := remotetest.Serve(serve(r), remotetest.Options{Creds: first.Creds(), State: first.State()})
	if _, err := second.Handshake(); err != nil {
		t.Fatal(err)
	}
	if got, err := second.Request("PREPARE"); err != nil || got != "PREPARE-SUCCESS" {
		t.Fatalf("PREPARE: %q, %v", got, err)
	}
	if err := second.Close(); err != nil {
		t.Fatal(err)
	}
	if *r != (credsRemote{user: "id", pass: "pass word", state: "v 1"}) {
		t.Errorf("second run saw %+v", *r)
	}
}

// The queries of remotes that lay out keys as git-annex's own directory
// remote does and record URLs: a raw remote (no protocol library, as a shell
// remote would be) asks them at PREPARE and the session answers each as
// git-annex would.
func TestSessionAnswersKeyQueries(t *testing.T) {
	const key = "SHA256E-s17--f4dd0b46f63a55627ad207f9458d856567f0c80a90c64c2523fe982cefb132c7.txt"
	asks := []string{
		"DIRHASH " + key,
		"DIRHASH-LOWER " + key,
		"SETURLPRESENT " + key + " http://a.example/1",
		"SETURIPRESENT " + key + " ipfs:Qm1",
		"SETURLPRESENT " + key + " http://b.example/2",
		"SETURLMISSING " + key + " http://b.example/2",
		"GETURLS " + key + " http",
		"GETURLS " + key + " ",
		"SETWANTED include=*.txt",
		"GETWANTED",
	}
	var got []string
	s := remotetest.Serve(func(in io.Reader, out io.Writer) error {
		lines := bufio.NewScanner(in)
		read := func() string { lines.Scan(); return lines.Text() }
		io.WriteString(out, "VERSION 1\n")
		read() // EXTENSIONS
		io.WriteString(out, "UNSUPPORTED-REQUEST\n")
		read() // PREPARE
		for _, ask := range asks {
			io.WriteString(out, ask+"\n")
			word, _, _ := strings.Cut(ask, " ")
			switch word {
			case "DIRHASH", "DIRHASH-LOWER", "GETWANTED":
				got = append(got, read())
			case "GETURLS":
				for v := read(); ; v = read() {
					got = append(got, v)
					if v == "VALUE " || !strings.HasPrefix(v, "VALUE ") {
						break
					}
				}
			}
		}
		io.WriteString(out, "PREPARE-SUCCESS\n")
		_, err := io.Copy(io.Discard, in)
		return err
	}, remotetest.Options{Timeout: 5 * time.Second})
	if _, err := s.Handshake(); err != nil {
		t.Fatal(err)
	}
	if reply, err := s.Request("PREPARE"); err != nil || reply != "PREPARE-SUCCESS" {
		t.Fatalf("PREPARE: %q, %v", reply, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"VALUE 45/55/",   // git annex examinekey --format='${hashdirmixed}'
		"VALUE 255/916/", // ${hashdirlower}
		"VALUE http://a.example/1", "VALUE ",
		"VALUE http://a.example/1", "VALUE ipfs:Qm1", "VALUE ",
		"VALUE include=*.txt",
	}
	if !slices.Equal(got, want) {
		t.Errorf("answers:\n%q\nwant:\n%q", got, want)
	}
	if urls := s.URLs()[key]; !slices.Equal(urls, []string{"http://a.example/1", "ipfs:Qm1"}) {
		t.Errorf("URLs() = %q", urls)
	}
	if w := s.Wanted(); w != "include=*.txt" {
		t.Errorf("Wanted() = %q", w)
	}
}

// within fails the test if f does not return within d, instead of hanging.
func within(t *testing.T, d time.Duration, what string, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		t.Fatalf("%s hung", what)
		return nil
	}
}

// A remote whose replies are not read at once is never blocked writing
// them: requests sent ahead of reading, as a test may pipeline them, reach
// it, and it ends at Close; its replies are still there to read.
func TestSessionRepliesNotReadYet(t *testing.T) {
	s := remotetest.Serve(func(in io.Reader, out io.Writer) error {
		lines := bufio.NewScanner(in)
		for lines.Scan() {
			if _, err := io.WriteString(out, "REPLY "+lines.Text()+"\n"); err != nil {
				return err
			}
		}
		return nil
	}, remotetest.Options{Timeout: 2 * time.Second})
	const n = 500
	err := within(t, 5*time.Second, "sending", func() error {
		for i := range n {
			if err := s.Send("REQ " + strings.Repeat("x", i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := within(t, 5*time.Second, "Close", s.Close); err != nil {
		t.Fatalf("Close = %v", err)
	}
	for i := range n {
		if got, err := s.Next(); err != nil || got != "REPLY REQ "+strings.Repeat("x", i) {
			t.Fatalf("reply %d: %.40q, %v", i, got, err)
		}
	}
	if got, err := s.Next(); !errors.Is(err, remotetest.ErrClosed) {
		t.Fatalf("after the replies: %q, %v; want ErrClosed", got, err)
	}
}

// Kill then Close (a deferred Close after a failure, say) neither hangs nor
// waits for the remote again.
func TestSessionKillThenClose(t *testing.T) {
	s := remotetest.Serve(func(in io.Reader, out io.Writer) error {
		_, err := io.Copy(io.Discard, in)
		return err
	}, remotetest.Options{Timeout: time.Second})
	within(t, 5*time.Second, "Kill", s.Kill)
	within(t, 5*time.Second, "Close after Kill", s.Close)
	within(t, 5*time.Second, "Kill after Close", s.Kill)
}

// A Serve remote that ignores its closed pipes cannot be stopped, but
// Close and Kill still return, with ErrTimeout.
func TestSessionStuckServe(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	s := remotetest.Serve(func(in io.Reader, out io.Writer) error {
		<-release
		return nil
	}, remotetest.Options{Timeout: 100 * time.Millisecond})
	if err := within(t, 5*time.Second, "Close", s.Close); !errors.Is(err, remotetest.ErrTimeout) {
		t.Fatalf("Close = %v, want ErrTimeout", err)
	}
	if err := within(t, 5*time.Second, "Kill", s.Kill); !errors.Is(err, remotetest.ErrTimeout) {
		t.Fatalf("Kill = %v, want ErrTimeout", err)
	}
}

// A remote that stops reading its input fails Send in time.
func TestSessionSendToStuckRemote(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	s := remotetest.Serve(func(in io.Reader, out io.Writer) error {
		<-release
		return nil
	}, remotetest.Options{Timeout: 100 * time.Millisecond})
	defer s.Kill()
	err := within(t, 5*time.Second, "Send", func() error { return s.Send("PREPARE") })
	if !errors.Is(err, remotetest.ErrTimeout) {
		t.Fatalf("Send = %v, want ErrTimeout", err)
	}
}

// Queries that git-annex cannot parse, a protocol error there, are handed
// to the caller rather than answered.
func TestSessionMalformedQueries(t *testing.T) {
	bad := []string{"GETUUID x", "GETGITDIR .git", "GETWANTED now", "GETGITREMOTENAME x", "PROGRESS", "PROGRESS many"}
	s := remotetest.Serve(func(in io.Reader, out io.Writer) error {
		io.WriteString(out, "PROGRESS 12\nPROGRESS 3x\n")
		for _, l := range bad {
			io.WriteString(out, l+"\n")
		}
		_, err := io.Copy(io.Discard, in)
		return err
	}, remotetest.Options{Timeout: 2 * time.Second})
	defer s.Close()
	for _, want := range bad {
		if got, err := s.Next(); err != nil || got != want {
			t.Fatalf("Next = %q, %v; want %q", got, err, want)
		}
	}
}

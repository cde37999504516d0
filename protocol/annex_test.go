package protocol_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/exporttree/git-annex-remote-exporttree/protocol"
)

// fakeAnnex answers the remote's queries the way git-annex does, including
// 10.20230126's refusals during INITREMOTE.
type fakeAnnex struct {
	config map[string]string
	creds  map[string]string // setting → "user password"
	state  map[string]string
	refuse map[string]string // word → the ERROR message git-annex sends
	values map[string]string // fixed VALUE answers by query line
}

// answer returns git-annex's reply lines to one line from the remote, or
// done=true when the line is the reply that ends the request.
func (g *fakeAnnex) answer(line string) (replies []string, done bool) {
	word, rest, _ := strings.Cut(line, " ")
	if why, ok := g.refuse[word]; ok {
		return []string{"ERROR " + why}, false
	}
	if v, ok := g.values[line]; ok {
		return []string{"VALUE " + v}, false
	}
	switch word {
	case "GETCONFIG":
		return []string{"VALUE " + g.config[rest]}, false
	case "SETCONFIG":
		k, v, _ := strings.Cut(rest, " ")
		g.config[k] = v
	case "GETCREDS":
		c, ok := g.creds[rest]
		if !ok {
			c = " "
		}
		return []string{"CREDS " + c}, false
	case "SETCREDS":
		k, v, _ := strings.Cut(rest, " ")
		g.creds[k] = v
	case "GETSTATE":
		return []string{"VALUE " + g.state[rest]}, false
	case "SETSTATE":
		k, v, _ := strings.Cut(rest, " ")
		g.state[k] = v
	case "DEBUG", "INFO", "PROGRESS":
	default:
		return nil, true
	}
	return nil, false
}

func newFakeAnnex() *fakeAnnex {
	return &fakeAnnex{
		config: map[string]string{"directory": "/tmp/exp2/export"},
		creds:  map[string]string{},
		state:  map[string]string{},
		refuse: map[string]string{},
		values: map[string]string{
			"GETUUID":   "81026fcd-35a3-4fd3-ab3c-138206699fa6",
			"GETGITDIR": ".git",
		},
	}
}

// converse answers the remote until it sends the request's final reply,
// which it returns; every line the remote sent is appended to sent.
func (p *peer) converse(g *fakeAnnex, sent *[]string) string {
	p.t.Helper()
	for {
		line := p.next()
		*sent = append(*sent, line)
		replies, done := g.answer(line)
		if done {
			return line
		}
		p.send(replies...)
	}
}

// results collects what a handler observed, to assert after the request.
type results []string

func (r *results) add(format string, args ...any) { *r = append(*r, fmt.Sprintf(format, args...)) }

// Transcript 23-probe-initremote: during INITREMOTE, 10.20230126 refuses
// GETGITREMOTENAME, SETSTATE and GETSTATE with ERROR. SETSTATE has no reply,
// so its ERROR would land on the next query; SetState keeps the session in
// step, and every later answer reaches the right query.
func TestInitRemoteRefusals(t *testing.T) {
	const k = key1
	var got results
	r, f := newFull()
	f.initRemote = func(ctx context.Context, a *protocol.Annex) error {
		v, err := a.GetConfig(ctx, "directory")
		got.add("directory=%q %v", v, err)
		v, err = a.GetUUID(ctx)
		got.add("uuid=%q %v", v, err)
		v, err = a.GetGitDir(ctx)
		got.add("gitdir=%q %v", v, err)
		_, err = a.GetGitRemoteName(ctx)
		got.add("remotename refused=%v", errors.Is(err, protocol.ErrQueryRefused))
		got.add("setconfig %v", a.SetConfig(ctx, "probeconfig", "value with spaces"))
		v, err = a.GetConfig(ctx, "probeconfig")
		got.add("probeconfig=%q %v", v, err)
		got.add("setcreds %v", a.SetCreds(ctx, "probecreds", "myuser", "my secret pass"))
		u, pw, err := a.GetCreds(ctx, "probecreds")
		got.add("creds=%q/%q %v", u, pw, err)
		err = a.SetState(ctx, k, "init-state")
		var qe *protocol.QueryError
		got.add("setstate refused=%v as=%v", errors.Is(err, protocol.ErrQueryRefused), errors.As(err, &qe) && qe.Query == "SETSTATE" && qe.Message == "cannot send SETSTATE here")
		_, err = a.GetState(ctx, k)
		got.add("getstate refused=%v", errors.Is(err, protocol.ErrQueryRefused))
		_, err = a.GetGitRemoteName(ctx)
		got.add("remotename refused=%v", errors.Is(err, protocol.ErrQueryRefused))
		v, err = a.GetConfig(ctx, "directory")
		got.add("directory=%q %v", v, err)
		a.Debug("debug message during initremote")
		return nil
	}
	g := newFakeAnnex()
	g.refuse = map[string]string{
		"GETGITREMOTENAME": "git remote name not known",
		"SETSTATE":         "cannot send SETSTATE here",
		"GETSTATE":         "cannot send GETSTATE here",
	}
	p := startPeer(t, r, protocol.Options{DisableAsync: true})
	p.handshake(offer2023, "INFO GETGITREMOTENAME")
	p.send("INITREMOTE")
	var sent []string
	if final := p.converse(g, &sent); final != "INITREMOTE-SUCCESS" {
		t.Fatalf("final reply %q", final)
	}
	p.send("PREPARE")
	p.expect("PREPARE-SUCCESS")
	if err := p.end(); err != nil {
		t.Fatal(err)
	}
	want := results{
		`directory="/tmp/exp2/export" <nil>`,
		`uuid="81026fcd-35a3-4fd3-ab3c-138206699fa6" <nil>`,
		`gitdir=".git" <nil>`,
		`remotename refused=true`,
		`setconfig <nil>`,
		`probeconfig="value with spaces" <nil>`,
		`setcreds <nil>`,
		`creds="myuser"/"my secret pass" <nil>`,
		`setstate refused=true as=true`,
		`getstate refused=true`,
		`remotename refused=true`,
		`directory="/tmp/exp2/export" <nil>`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("handler saw:\n%s\nwant:\n%s\nremote sent:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), strings.Join(sent, "\n"))
	}
	wantSent := []string{
		"SETSTATE " + k + " init-state", "GETUUID", // the GETUUID that keeps the session in step
	}
	if !containsRun(sent, wantSent) {
		t.Errorf("remote sent:\n%s\nwant the run %q", strings.Join(sent, "\n"), wantSent)
	}
}

func containsRun(lines, run []string) bool {
	for i := 0; i+len(run) <= len(lines); i++ {
		if strings.Join(lines[i:i+len(run)], "\n") == strings.Join(run, "\n") {
			return true
		}
	}
	return false
}

// Transcript 24-probe-prepare: after INITREMOTE every query is answered.
func TestPrepareQueries(t *testing.T) {
	const k = key1
	var got results
	r, f := newFull()
	f.prepare = func(ctx context.Context, a *protocol.Annex) error {
		v, err := a.GetGitRemoteName(ctx)
		got.add("remotename=%q %v", v, err)
		v, err = a.DirHash(ctx, k)
		got.add("dirhash=%q %v", v, err)
		v, err = a.DirHashLower(ctx, k)
		got.add("dirhashlower=%q %v", v, err)
		v, err = a.GetState(ctx, k)
		got.add("state=%q %v", v, err)
		got.add("setstate %v", a.SetState(ctx, k, "state with spaces"))
		v, err = a.GetState(ctx, k)
		got.add("state=%q %v", v, err)
		u, pw, err := a.GetCreds(ctx, "unset")
		got.add("creds=%q/%q %v", u, pw, err)
		a.Debug("a debug message")
		a.Info("an info message")
		return nil
	}
	g := newFakeAnnex()
	g.values["GETGITREMOTENAME"] = "p1"
	g.values["DIRHASH "+k] = "mK/4w/"
	g.values["DIRHASH-LOWER "+k] = "d91/b11/"
	p := startPeer(t, r, protocol.Options{DisableAsync: true})
	p.handshake(offer2023, "INFO GETGITREMOTENAME")
	p.send("PREPARE")
	var sent []string
	if final := p.converse(g, &sent); final != "PREPARE-SUCCESS" {
		t.Fatalf("final reply %q", final)
	}
	if err := p.end(); err != nil {
		t.Fatal(err)
	}
	want := results{
		`remotename="p1" <nil>`,
		`dirhash="mK/4w/" <nil>`,
		`dirhashlower="d91/b11/" <nil>`,
		`state="" <nil>`,
		`setstate <nil>`,
		`state="state with spaces" <nil>`,
		`creds=""/"" <nil>`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("handler saw:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !containsRun(sent, []string{"DEBUG a debug message", "INFO an info message", "PREPARE-SUCCESS"}) {
		t.Errorf("remote sent:\n%s", strings.Join(sent, "\n"))
	}
}

// Without the INFO extension, Info falls back to DEBUG; without
// GETGITREMOTENAME, the query is refused without being sent.
func TestUnnegotiatedExtensions(t *testing.T) {
	var remoteNameErr error
	r, f := newFull()
	f.prepare = func(ctx context.Context, a *protocol.Annex) error {
		a.Info("shown\nin two lines\n")
		_, remoteNameErr = a.GetGitRemoteName(ctx)
		return nil
	}
	p := startPeer(t, r, protocol.Options{})
	p.handshake("", "")
	p.send("PREPARE")
	p.expect("DEBUG shown", "DEBUG in two lines", "PREPARE-SUCCESS")
	if err := p.end(); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(remoteNameErr, protocol.ErrQueryRefused) {
		t.Errorf("GetGitRemoteName = %v, want ErrQueryRefused", remoteNameErr)
	}
}

// Values that cannot be framed are refused before anything is sent.
func TestUnframeableValues(t *testing.T) {
	var errs []error
	r, f := newFull()
	f.initRemote = func(ctx context.Context, a *protocol.Annex) error {
		errs = append(errs,
			a.SetConfig(ctx, "name", "two\nlines"),
			a.SetConfig(ctx, "a name", "v"),
			a.SetCreds(ctx, "c", "my user", "pw"),
			a.SetState(ctx, "k", "x\ny"),
		)
		_, err := a.GetConfig(ctx, "a\nb")
		errs = append(errs, err)
		return nil
	}
	p := startPeer(t, r, protocol.Options{DisableAsync: true})
	p.handshake(offer2023, "INFO GETGITREMOTENAME")
	p.send("INITREMOTE")
	p.expect("INITREMOTE-SUCCESS")
	if err := p.end(); err != nil {
		t.Fatal(err)
	}
	for i, err := range errs {
		var pe *protocol.ProtocolError
		if !errors.As(err, &pe) {
			t.Errorf("call %d: err = %v, want a *ProtocolError", i, err)
		}
	}
}

// An Annex outlives its handler only as a dead object: queries fail and
// nothing more reaches git-annex on its behalf.
func TestAnnexAfterHandler(t *testing.T) {
	var kept *protocol.Annex
	r, f := newFull()
	f.store = func(ctx context.Context, a *protocol.Annex, key, file string) error {
		kept = a
		return nil
	}
	p := startPeer(t, r, protocol.Options{DisableAsync: true})
	p.handshake(offer2023, "INFO GETGITREMOTENAME")
	p.send("TRANSFER STORE " + key1 + " f")
	p.expect("TRANSFER-SUCCESS STORE " + key1)
	kept.Progress(99)
	kept.Debug("late")
	if _, err := kept.GetUUID(context.Background()); err == nil {
		t.Error("GetUUID on a stale Annex succeeded")
	}
	p.send("PREPARE")
	p.expect("PREPARE-SUCCESS")
	if err := p.end(); err != nil {
		t.Fatal(err)
	}
}

// Answers of the wrong kind fail the query and leave the session in step.
func TestWrongAnswers(t *testing.T) {
	var errs []error
	r, f := newFull()
	f.prepare = func(ctx context.Context, a *protocol.Annex) error {
		_, err := a.GetConfig(ctx, "x") // answered CREDS
		errs = append(errs, err)
		_, _, err = a.GetCreds(ctx, "c") // answered with a malformed CREDS
		errs = append(errs, err)
		_, err = a.GetConfig(ctx, "y") // answered by a request
		errs = append(errs, err)
		return err
	}
	p := startPeer(t, r, protocol.Options{DisableAsync: true})
	p.handshake(offer2023, "INFO GETGITREMOTENAME")
	p.send("PREPARE")
	p.expect("GETCONFIG x")
	p.send("CREDS a b")
	p.expect("GETCREDS c")
	p.send("CREDS")
	p.expect("ERROR CREDS: too few parameters", "GETCONFIG y")
	p.send("CHECKPRESENT " + key1)
	p.expectPrefix("PREPARE-FAILURE protocol error: GETCONFIG: git-annex sent a request")
	p.expect("CHECKPRESENT-SUCCESS " + key1) // the request is still served
	if err := p.end(); err != nil {
		t.Fatal(err)
	}
	for i, err := range errs {
		var pe *protocol.ProtocolError
		if !errors.As(err, &pe) {
			t.Errorf("query %d: err = %v, want a *ProtocolError", i, err)
		}
	}
}

// A query still waiting when git-annex closes its end fails; Serve returns
// nil, as at any end of input.
func TestQueryAtEndOfInput(t *testing.T) {
	queryErr := make(chan error, 1)
	r, f := newFull()
	f.prepare = func(ctx context.Context, a *protocol.Annex) error {
		_, err := a.GetConfig(ctx, "x")
		queryErr <- err
		return err
	}
	p := startPeer(t, r, protocol.Options{DisableAsync: true})
	p.handshake(offer2023, "INFO GETGITREMOTENAME")
	p.send("PREPARE")
	p.expect("GETCONFIG x")
	p.in.Close()
	if err := p.wait(); err != nil {
		t.Fatalf("Serve = %v", err)
	}
	if err := <-queryErr; err == nil || errors.Is(err, protocol.ErrQueryRefused) {
		t.Errorf("GetConfig = %v, want an end-of-input error", err)
	}
}

// A query given up on because its context ended has been sent: git-annex
// answers it all the same, later. That late answer is dropped, whether it
// comes while the job's next query waits or between requests, and the next
// query gets its own answer. Under ASYNC, git-annex's ERROR is bare.
func TestAbandonedQueryAnswerDropped(t *testing.T) {
	tests := []struct {
		name    string
		abandon func(ctx context.Context, a *protocol.Annex)
		sent    []string // the lines the query sent
		late    []string // git-annex's answers to them
	}{
		{"GetConfig", func(ctx context.Context, a *protocol.Annex) { a.GetConfig(ctx, "directory") },
			[]string{"GETCONFIG directory"}, []string{"VALUE /srv/dir"}},
		{"GetState refused", func(ctx context.Context, a *protocol.Annex) { a.GetState(ctx, "k") },
			[]string{"GETSTATE k"}, []string{"ERROR cannot send GETSTATE here"}},
		{"GetCreds", func(ctx context.Context, a *protocol.Annex) { a.GetCreds(ctx, "c") },
			[]string{"GETCREDS c"}, []string{"CREDS user password"}},
		{"SetState", func(ctx context.Context, a *protocol.Annex) { a.SetState(ctx, "k", "v") },
			[]string{"SETSTATE k v", "GETUUID"}, []string{"VALUE late-uuid"}},
		{"SetState refused", func(ctx context.Context, a *protocol.Annex) { a.SetState(ctx, "k", "v") },
			[]string{"SETSTATE k v", "GETUUID"}, []string{"ERROR cannot send SETSTATE here", "VALUE late-uuid"}},
	}
	for _, async := range []bool{false, true} {
		for _, tt := range tests {
			for _, between := range []bool{false, true} {
				name := fmt.Sprintf("%s/async=%v/between=%v", tt.name, async, between)
				t.Run(name, func(t *testing.T) {
					testAbandonedQuery(t, tt.abandon, tt.sent, tt.late, async, between)
				})
			}
		}
	}
}

// A query that times out while it waits: the answer that comes after the
// timeout is not taken by the next query.
func TestQueryTimeoutLateAnswer(t *testing.T) {
	r, f := newFull()
	got := make(chan string, 1)
	f.prepare = func(ctx context.Context, a *protocol.Annex) error {
		qctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
		defer cancel()
		a.GetConfig(qctx, "directory") // times out
		uuid, err := a.GetUUID(ctx)
		got <- uuid
		return err
	}
	p := startPeer(t, r, protocol.Options{DisableAsync: true})
	p.handshake(offer2023, "INFO GETGITREMOTENAME")
	p.send("PREPARE")
	p.expect("GETCONFIG directory", "GETUUID") // GETUUID: GetConfig has given up
	p.send("VALUE /srv/dir", "VALUE the-uuid")
	p.expect("PREPARE-SUCCESS")
	if u := <-got; u != "the-uuid" {
		t.Errorf("GetUUID returned %q, want %q", u, "the-uuid")
	}
	if err := p.end(); err != nil {
		t.Fatal(err)
	}
}

// testAbandonedQuery has PREPARE give up on one query; its late answers
// come while INITREMOTE asks GETUUID, or between the two requests.
func testAbandonedQuery(t *testing.T, abandon func(context.Context, *protocol.Annex), sent, late []string, async, between bool) {
	uuid := make(chan string, 1)
	r, f := newFull()
	f.prepare = func(ctx context.Context, a *protocol.Annex) error {
		given, giveUp := context.WithCancel(ctx)
		giveUp()
		abandon(given, a)
		return nil
	}
	f.initRemote = func(ctx context.Context, a *protocol.Annex) error {
		u, err := a.GetUUID(ctx)
		uuid <- u
		return err
	}
	p := startPeer(t, r, protocol.Options{DisableAsync: !async})
	j := p.handshakeJob(async)
	onJob := func(lines []string) []string {
		var out []string
		for _, l := range lines {
			if !strings.HasPrefix(l, "ERROR") {
				l = j + l
			}
			out = append(out, l)
		}
		return out
	}
	p.send(j + "PREPARE")
	p.expect(onJob(sent)...)
	p.expect(j + "PREPARE-SUCCESS")
	if between {
		p.send(onJob(late)...)
	}
	p.send(j + "INITREMOTE")
	p.expect(j + "GETUUID")
	if !between {
		p.send(onJob(late)...)
	}
	p.send(j + "VALUE the-uuid")
	p.expect(j + "INITREMOTE-SUCCESS")
	if u := <-uuid; u != "the-uuid" {
		t.Errorf("GetUUID returned %q, want %q", u, "the-uuid")
	}
	if err := p.end(); err != nil {
		t.Fatal(err)
	}
}

// The zero Annex, for unit tests of handlers, fails queries and drops the
// rest without panicking.
func TestZeroAnnex(t *testing.T) {
	var a protocol.Annex
	ctx := context.Background()
	if _, err := a.GetConfig(ctx, "x"); err == nil {
		t.Error("GetConfig on the zero Annex succeeded")
	}
	if err := a.SetState(ctx, "k", "v"); err == nil {
		t.Error("SetState on the zero Annex succeeded")
	}
	if _, _, err := a.GetCreds(ctx, "c"); err == nil {
		t.Error("GetCreds on the zero Annex succeeded")
	}
	a.Debug("d")
	a.Info("i")
	a.Fatal("f")
	a.Progress(1)
	if _, err := io.Copy(a.ProgressWriter(io.Discard), a.ProgressReader(strings.NewReader("data"))); err != nil {
		t.Error(err)
	}
}

// Fatal sends a bare ERROR, also under ASYNC, before the request's reply.
func TestFatal(t *testing.T) {
	r, f := newFull()
	f.prepare = func(ctx context.Context, a *protocol.Annex) error {
		a.Fatal("storage is corrupt")
		return errors.New("storage is corrupt")
	}
	p := startPeer(t, r, protocol.Options{})
	p.handshake(offer2023, offer2023)
	p.send("J 1 PREPARE")
	p.expect("ERROR storage is corrupt", "J 1 PREPARE-FAILURE storage is corrupt")
	if err := p.end(); err != nil {
		t.Fatal(err)
	}
}

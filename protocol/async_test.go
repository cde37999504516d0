package protocol_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/exporttree/git-annex-remote-exporttree/protocol"
)

// nextN returns the next n lines, sorted: replies of different jobs may
// come in any order.
func (p *peer) nextN(n int) []string {
	p.t.Helper()
	var got []string
	for range n {
		got = append(got, p.next())
	}
	slices.Sort(got)
	return got
}

func (p *peer) expectUnordered(want ...string) {
	p.t.Helper()
	got := p.nextN(len(want))
	want = slices.Clone(want)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		p.t.Fatalf("remote sent %q, want %q (any order)", got, want)
	}
}

// Job 1 waits for an answer to its query while job 2 is served, then gets
// its own answer: jobs run concurrently and answers reach their job.
func TestAsyncInterleavedJobs(t *testing.T) {
	r, f := newFull()
	f.store = func(ctx context.Context, a *protocol.Annex, key, file string) error {
		v, err := a.GetConfig(ctx, "chunk")
		if err != nil || v != "for "+key {
			return fmt.Errorf("GETCONFIG answered %q, %v", v, err)
		}
		return nil
	}
	p := startPeer(t, r, protocol.Options{})
	p.handshake(offer2023, offer2023)
	p.send("J 1 TRANSFER STORE K1 f1")
	p.expect("J 1 GETCONFIG chunk")
	p.send("J 2 TRANSFER STORE K2 f2")
	p.expect("J 2 GETCONFIG chunk")
	p.send("J 3 CHECKPRESENT K3")
	p.expect("J 3 CHECKPRESENT-SUCCESS K3")
	p.send("J 2 VALUE for K2")
	p.expect("J 2 TRANSFER-SUCCESS STORE K2")
	p.send("J 1 VALUE for K1")
	p.expect("J 1 TRANSFER-SUCCESS STORE K1")
	// Job numbers are reused for later requests.
	p.send("J 2 REMOVE K2", "J 1 PREPARE")
	p.expectUnordered("J 2 REMOVE-SUCCESS K2", "J 1 PREPARE-SUCCESS")
	if err := p.end(); err != nil {
		t.Fatal(err)
	}
}

// Each job keeps its own EXPORT name (transcripts 28-30).
func TestAsyncExportPerJob(t *testing.T) {
	r, f := newFull()
	f.checkExport = func(ctx context.Context, a *protocol.Annex, name, key string) (bool, error) {
		return name == "b.txt", nil
	}
	p := startPeer(t, r, protocol.Options{})
	p.handshake(offer2023, offer2023)
	p.send(
		"J 1 EXPORT a.txt",
		"J 2 EXPORT b.txt",
		"J 2 CHECKPRESENTEXPORT K",
		"J 1 CHECKPRESENTEXPORT K",
		"J 3 EXPORT c.txt",
		"J 1 EXPORT d.txt",
		"J 3 RENAMEEXPORT K c2.txt",
		"J 1 REMOVEEXPORT K",
	)
	p.expectUnordered(
		"J 2 CHECKPRESENT-SUCCESS K",
		"J 1 CHECKPRESENT-FAILURE K",
		"J 3 RENAMEEXPORT-SUCCESS K",
		"J 1 REMOVE-SUCCESS K",
	)
	if err := p.end(); err != nil {
		t.Fatal(err)
	}
	calls := f.recorded()
	slices.Sort(calls)
	want := []string{"CheckPresentExport a.txt|K", "CheckPresentExport b.txt|K", "RemoveExport d.txt|K", "RenameExport c.txt|K|c2.txt"}
	if !slices.Equal(calls, want) {
		t.Errorf("calls = %q, want %q", calls, want)
	}
}

// One job's failure, even a panic, does not stop the others.
func TestAsyncFailureIsolated(t *testing.T) {
	r, f := newFull()
	release := make(chan struct{})
	f.store = func(ctx context.Context, a *protocol.Annex, key, file string) error {
		if key == "BAD" {
			panic("handler bug")
		}
		<-release
		return nil
	}
	p := startPeer(t, r, protocol.Options{})
	p.handshake(offer2023, offer2023)
	p.send("J 1 TRANSFER STORE GOOD f", "J 2 TRANSFER STORE BAD f")
	p.expect("J 2 TRANSFER-FAILURE STORE BAD internal error while handling TRANSFER: handler bug")
	close(release)
	p.expect("J 1 TRANSFER-SUCCESS STORE GOOD")
	p.send("J 2 CHECKPRESENT BAD")
	p.expect("J 2 CHECKPRESENT-SUCCESS BAD")
	if err := p.end(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.stderr.String(), "handler bug") {
		t.Errorf("panic not reported on stderr:\n%s", p.stderr)
	}
}

// Many jobs writing at once never interleave inside a line, and each job's
// lines keep their order.
func TestAsyncNoInterleavedLines(t *testing.T) {
	const jobs, lines = 16, 50
	r, f := newFull()
	f.store = func(ctx context.Context, a *protocol.Annex, key, file string) error {
		for i := range lines {
			a.Debug(fmt.Sprintf("%s line %d %s", key, i, strings.Repeat("x", 200)))
		}
		return nil
	}
	p := startPeer(t, r, protocol.Options{})
	p.handshake(offer2023, offer2023)
	for j := 1; j <= jobs; j++ {
		p.send(fmt.Sprintf("J %d TRANSFER STORE K%d f", j, j))
	}
	re := regexp.MustCompile(`^J (\d+) (?:DEBUG K(\d+) line (\d+) x{200}|TRANSFER-SUCCESS STORE K(\d+))$`)
	seen := make(map[string]int) // job → lines so far
	for range jobs * (lines + 1) {
		l := p.next()
		m := re.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("malformed line %q", l)
		}
		job, n := m[1], seen[m[1]]
		switch {
		case m[4] != "":
			if m[4] != job || n != lines {
				t.Fatalf("job %s replied after %d lines: %q", job, n, l)
			}
		case m[2] != job || m[3] != fmt.Sprint(n):
			t.Fatalf("job %s line %d out of order: %q", job, n, l)
		}
		seen[job]++
	}
	if err := p.end(); err != nil {
		t.Fatal(err)
	}
}

func TestAsyncProtocolErrors(t *testing.T) {
	r, _ := newFull()
	p := startPeer(t, r, protocol.Options{})
	p.handshake(offer2023, offer2023)
	p.send("PREPARE")
	p.expect("ERROR message without a job number under ASYNC")
	p.send("J 2 CHECKPRESENT")
	p.expect("ERROR CHECKPRESENT: missing key")
	p.send("J 2 GETORDERED")
	p.expect("J 2 UNSUPPORTED-REQUEST")
	p.send("J 4 TRANSFEREXPORT STORE K f")
	p.expect("ERROR TRANSFEREXPORT without EXPORT before it")
	p.send("J 2 PREPARE")
	p.expect("J 2 PREPARE-SUCCESS")
	if err := p.end(); err != nil {
		t.Fatal(err)
	}
}

// A bare ERROR under ASYNC answers the job that is waiting.
func TestAsyncBareErrorAnswersWaitingJob(t *testing.T) {
	r, f := newFull()
	f.prepare = func(ctx context.Context, a *protocol.Annex) error {
		_, err := a.GetState(ctx, "K")
		return err
	}
	p := startPeer(t, r, protocol.Options{})
	p.handshake(offer2023, offer2023)
	p.send("J 5 PREPARE")
	p.expect("J 5 GETSTATE K")
	p.send("ERROR cannot send GETSTATE here")
	p.expect("J 5 PREPARE-FAILURE GETSTATE: git-annex answered ERROR: cannot send GETSTATE here")
	p.send("J 5 GETORDERED")
	p.expect("J 5 UNSUPPORTED-REQUEST")
	if err := p.end(); err != nil {
		t.Fatal(err)
	}
}

// A request read after a PREPARE waits until that PREPARE is answered,
// whichever job sends it; one read before it does not wait. git-annex itself
// never sends more before PREPARE-SUCCESS.
func TestAsyncRequestsWaitForPrepare(t *testing.T) {
	r, f := newFull()
	f.prepare = func(ctx context.Context, a *protocol.Annex) error {
		_, err := a.GetConfig(ctx, "directory")
		return err
	}
	f.checkPresent = func(ctx context.Context, a *protocol.Annex, key string) (bool, error) { return true, nil }
	p := startPeer(t, r, protocol.Options{})
	p.handshake(offer2023, offer2023)
	p.send("J 3 CHECKPRESENT K0", "J 1 PREPARE", "J 2 CHECKPRESENT K1")
	// J 3's request came before the PREPARE and is answered at once; J 2's
	// only after PREPARE-SUCCESS, although PREPARE is still waiting for
	// its configuration.
	p.expectUnordered("J 3 CHECKPRESENT-SUCCESS K0", "J 1 GETCONFIG directory")
	p.send("J 1 VALUE /x")
	p.expect("J 1 PREPARE-SUCCESS")
	p.expect("J 2 CHECKPRESENT-SUCCESS K1")
	// K0 may run before or after Prepare starts; K1 only after it.
	got := f.recorded()
	if prep, k1 := slices.Index(got, "Prepare "), slices.Index(got, "CheckPresent K1"); prep < 0 || k1 < prep {
		t.Errorf("calls %q: CheckPresent K1 ran before Prepare", got)
	}
}

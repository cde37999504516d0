package testscript_test

import (
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/exporttree/git-annex-remote-exporttree/protocol/remotetest"
)

// TestCrash kills the program with SIGKILL at random points of a random mix
// of stores (empty to multipart sizes), renames and removes, over the
// protocol, per storage kind, until 200 kills (EXPORTTREE_CRASH_KILLS=n
// changes it) have landed inside a store, rename or remove; kills in
// PREPARE or between requests come on top and do not count. After each
// kill, every name holds exactly one of the contents it may hold (for a
// store, the old or the new; for a remove, the old or nothing; for a
// rename, the source's content at the source or at the destination),
// never a partial or mixed one; the next process's PREPARE leaves no
// temporary, aside file or incomplete upload; and a last process
// re-exports a random tree, which the storage must then equal.
//
// Kill points: after a random delay into a request; (directory) once a
// store has written a random number of bytes and stalls there
// (GIT_ANNEX_REMOTE_EXPORTTREE_TEST_STALL_AFTER); once the program reports
// that it stopped at a step named by
// GIT_ANNEX_REMOTE_EXPORTTREE_TEST_STALL_AT, in a request planned to reach
// it (directory, dirSteps: a store's temporary complete, a file moved
// aside, marked spent, replaced, a store committed; S3: a rename's copy
// done, its source not yet deleted); (S3, through a killProxy) after a
// random number of body bytes, or at a random request, before the server
// sees it or after it answered. Every session also runs with guardexport
// yes or no at random (always yes for the directory steps inside a
// conditional operation).
//
// The test fails if the remote's output ends unless the kill was the
// test's (a proxy kill must have fired), and if, once the target is
// reached, no mid-operation kill hit a store, a rename or a remove, or
// came from one of the storage's triggers (directory: delay, stall, and
// each step; S3: delay, bytes, request, answer, and the step). A small
// EXPORTTREE_CRASH_KILLS can therefore fail for want of coverage.
//
// Plans come from a seeded PRNG: the seed is logged, and
// EXPORTTREE_CRASH_SEED=n replays the same plans (where a delay lands
// still varies). The summary line (kill points by request and trigger) is
// logged; without -v it is also printed, which `go test` shows in package
// directory mode, and in list mode for a failing package.
func TestCrash(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("EXPORTTREE_CRASH_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("EXPORTTREE_CRASH_SEED=%s: %v", s, err)
		}
	}
	kills := 200
	if s := os.Getenv("EXPORTTREE_CRASH_KILLS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("EXPORTTREE_CRASH_KILLS=%s: want a positive number", s)
		}
		kills = n
	}
	t.Logf("seed %d (EXPORTTREE_CRASH_SEED=%d replays it)", seed, seed)
	pool := newCrashPool(t, seed)
	// In parallel: much of the time goes to waiting for fsync and MinIO.
	for _, kind := range storageKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			st := dirCrashStorage
			if kind.s3 {
				st = func(t *testing.T) *crashStorage { return s3CrashStorage(t, kind.versioned) }
			}
			runCrash(t, st(t), pool, seed, kills)
		})
	}
}

type crashRun struct {
	t    *testing.T
	st   *crashStorage
	pool *crashPool
	rng  *rand.Rand
	seed uint64
	bin  string
	// gitDir answers GETGITDIR; export keeps nothing there.
	gitDir string
	state  map[string]int // what the storage holds: name -> content
	est    map[string]time.Duration
	stats  map[string]int

	reported map[string]bool // leftovers already reported
}

func runCrash(t *testing.T, st *crashStorage, pool *crashPool, seed uint64, kills int) {
	h := fnv.New64a()
	h.Write([]byte(t.Name()))
	r := &crashRun{
		t: t, st: st, pool: pool, seed: seed,
		rng:    rand.New(rand.NewPCG(seed, h.Sum64())),
		bin:    filepath.Join(remoteBinDir, "git-annex-remote-exporttree"),
		gitDir: t.TempDir(),
		state:  map[string]int{},
		est:    map[string]time.Duration{},
		stats:  map[string]int{},

		reported: map[string]bool{},
	}
	start := time.Now()
	for n := 1; r.stats["midop"] < kills; n++ {
		if n > maxSessionsPerKill*kills {
			t.Fatalf("only %d mid-operation kills in %d sessions, short of %d", r.stats["midop"], n-1, kills)
		}
		r.session(n)
	}
	files := r.reexport()
	s := r.stats
	summary := fmt.Sprintf("%s: %d kill points (seed %d): %d mid-request (PREPARE %d, store %d, rename %d, remove %d), "+
		"%d between requests; triggers: delay %d, stall %d, step %d (%s), bytes %d, request %d, answer %d; "+
		"%d sessions guarded; %d failed checks; re-export of %d files; %.1fs",
		t.Name(), s["kills"], r.seed, s["mid"], s["mid prepare"], s["mid store"]+s["mid store-big"], s["mid rename"], s["mid remove"],
		s["kills"]-s["mid"], s["delay"], s["stall"], s["step"], r.stepCounts(), s["bytes"], s["request"], s["answer"],
		s["guarded"], s["failures"], files, time.Since(start).Seconds())
	t.Log(summary)
	if !testing.Verbose() {
		fmt.Println(summary)
	}
	if missed := r.uncovered(); len(missed) > 0 {
		t.Errorf("no mid-operation kill %s (EXPORTTREE_CRASH_KILLS=%d)", strings.Join(missed, ", "), kills)
	}
}

// maxSessionsPerKill bounds the sessions spent reaching the mid-operation
// kill target: about one in three sessions kills between requests or in
// PREPARE.
const maxSessionsPerKill = 5

// stepCounts lists the mid-operation kills at each step.
func (r *crashRun) stepCounts() string {
	var counts []string
	for _, step := range r.st.steps {
		counts = append(counts, fmt.Sprintf("%s %d", step, r.stats["midop step "+step]))
	}
	return strings.Join(counts, ", ")
}

// uncovered names each request class, trigger and step (those this storage
// draws) that no mid-operation kill hit.
func (r *crashRun) uncovered() []string {
	var missed []string
	for _, class := range []string{"store", "rename", "remove"} {
		if r.stats["mid "+class]+r.stats["mid "+class+"-big"] == 0 {
			missed = append(missed, "during a "+class)
		}
	}
	for _, trigger := range r.st.triggers {
		if r.stats["midop "+trigger] == 0 && !slices.Contains(missed, "by trigger "+trigger) {
			missed = append(missed, "by trigger "+trigger)
		}
	}
	if slices.Contains(r.st.triggers, "step") {
		for _, step := range r.st.steps {
			if r.stats["midop step "+step] == 0 {
				missed = append(missed, "at step "+step)
			}
		}
	}
	return missed
}

// start runs the program and answers its handshake as git-annex does.
func (r *crashRun) start(guard bool, env ...string) (*exec.Cmd, *remotetest.Session, *stderrLog) {
	t := r.t
	cfg := maps.Clone(r.st.config)
	cfg["guardexport"] = "no"
	if guard {
		cfg["guardexport"] = "yes"
	}
	cmd := exec.Command(r.bin)
	cmd.Env = append(os.Environ(), env...)
	stderr := &stderrLog{}
	cmd.Stderr = stderr
	s, err := remotetest.Start(cmd, remotetest.Options{
		Config: cfg, Creds: r.st.creds, UUID: "00000000-crash-test", GitDir: r.gitDir,
		Timeout: time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Handshake(); err != nil {
		s.Kill()
		t.Fatalf("handshake: %v\nstderr: %s", err, stderr)
	}
	if got, err := s.Request("EXPORTSUPPORTED"); got != "EXPORTSUPPORTED-SUCCESS" {
		s.Kill()
		t.Fatalf("EXPORTSUPPORTED: %q, %v\nstderr: %s", got, err, stderr)
	}
	return cmd, s, stderr
}

// stderrLog keeps what the remote writes to stderr, and tells when it
// reports a stall at a step (GIT_ANNEX_REMOTE_EXPORTTREE_TEST_STALL_AT).
type stderrLog struct {
	mu      sync.Mutex
	b       strings.Builder
	step    string
	stalled chan struct{}
}

func (l *stderrLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.Write(p)
	if l.stalled != nil && strings.Contains(l.b.String(), "stalled at step "+l.step+" ") {
		close(l.stalled)
		l.stalled = nil
	}
	return len(p), nil
}

func (l *stderrLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// awaitStall returns a channel closed once the remote reports that it
// stalled at step.
func (l *stderrLog) awaitStall(step string) <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	ch := make(chan struct{})
	l.step, l.stalled = step, ch
	return ch
}

// replies reads the remote's replies until its output ends.
func replies(s *remotetest.Session) <-chan string {
	ch := make(chan string)
	go func() {
		defer close(ch)
		for {
			line, err := s.Next()
			switch {
			case errors.Is(err, remotetest.ErrClosed) || errors.Is(err, remotetest.ErrTimeout):
				return
			case err == nil:
				ch <- line
			}
			// Other errors are answers to queries that a dying remote
			// can no longer read.
		}
	}()
	return ch
}

// session runs one process through a plan to its kill, and checks what it
// left.
func (r *crashRun) session(n int) {
	t := r.t
	pl := r.plan()
	var env []string
	switch pl.trigger {
	case "stall":
		env = append(env, "GIT_ANNEX_REMOTE_EXPORTTREE_TEST_STALL_AFTER="+strconv.FormatInt(pl.stall, 10))
	case "step":
		env = append(env, "GIT_ANNEX_REMOTE_EXPORTTREE_TEST_STALL_AT="+pl.step)
	}
	cmd, s, stderr := r.start(pl.guard, env...)
	pid := cmd.Process.Pid
	kill := func() { killAndWait(pid) }
	fatal := func(format string, args ...any) {
		t.Helper()
		kill()
		s.Kill() // stderr is complete once the remote is waited for
		t.Fatalf("session %d: "+format+"\nplan: %v\nseed %d; remote's stderr:\n%s", append(append([]any{n}, args...), pl, r.seed, stderr)...)
	}
	lines := replies(s)
	stop := make(chan struct{})
	defer close(stop)

	done, inflight := 0, false
	var trigger <-chan struct{}
ops:
	for i, op := range pl.ops {
		if i == pl.at {
			trigger = r.arm(pl, kill, stderr, stop)
		}
		began := time.Now()
		for _, l := range op.lines(r.pool) {
			if s.Send(l) != nil {
				break
			}
		}
		select {
		case line, ok := <-lines:
			switch {
			case !ok:
				// Output ended: a kill by the proxy, which is done once
				// the trigger is closed, or else a crash.
				if !pl.byProxy() || !fired(trigger, 10*time.Second) {
					fatal("the remote's output ended during request %d (%v), but the test never killed it "+
						"(trigger %s, armed: %v, not fired): it exited by itself", i, op, pl.trigger, trigger != nil)
				}
				inflight = true
				break ops
			case line != op.success(r.pool):
				fatal("request %d (%v) answered %q", i, op, line)
			}
			done++
			r.observe(op.class(r.pool), time.Since(began))
			if op.kind == "prepare" {
				r.checkSwept(fmt.Sprintf("session %d", n))
			}
		case <-trigger:
			inflight = true
			break ops
		}
	}
	if r.st.proxy != nil {
		r.st.proxy.disarm()
	}
	if pl.trigger == "step" && !inflight {
		fatal("request %d (%v) never reached step %s", pl.at, pl.ops[pl.at], pl.step)
	}
	kill()
	for line := range lines {
		// The reply may have come just before the kill.
		if inflight && line == pl.ops[done].success(r.pool) {
			done++
			inflight = false
		}
	}
	s.Kill()
	if r.st.proxy != nil {
		if err := r.st.proxy.settle(); err != nil {
			t.Fatal(err)
		}
	}
	r.count(pl, done, inflight)
	if r.st.asides {
		r.prepareOnly()
	}
	r.check(n, pl, done, inflight, stderr.String())
}

// fired reports whether trigger is closed within wait; a nil trigger,
// never armed, never fires.
func fired(trigger <-chan struct{}, wait time.Duration) bool {
	if trigger == nil {
		return false
	}
	select {
	case <-trigger:
		return true
	case <-time.After(wait):
		return false
	}
}

// count records a kill in the stats: by trigger, and when a request was
// in flight, by its class; a store, rename or remove (not PREPARE) in
// flight is a mid-operation kill, counted by trigger and step too.
func (r *crashRun) count(pl crashPlan, done int, inflight bool) {
	r.stats["kills"]++
	r.stats[pl.trigger]++
	if pl.guard {
		r.stats["guarded"]++
	}
	if !inflight {
		return
	}
	r.stats["mid"]++
	class := pl.ops[done].class(r.pool)
	r.stats["mid "+class]++
	if class == "prepare" {
		return
	}
	r.stats["midop"]++
	r.stats["midop "+pl.trigger]++
	if pl.trigger == "step" {
		r.stats["midop step "+pl.step]++
	}
}

// prepareOnly runs the program up to PREPARE, as the next git-annex command
// would, so that it recovers what the killed one left aside.
func (r *crashRun) prepareOnly() {
	_, s, stderr := r.start(false)
	if got, err := s.Request("PREPARE"); got != "PREPARE-SUCCESS" {
		s.Kill()
		r.t.Fatalf("PREPARE after a kill: %q, %v\nstderr: %s", got, err, stderr)
	}
	if err := s.Close(); err != nil {
		r.t.Fatalf("the remote after PREPARE: %v\nstderr: %s", err, stderr)
	}
}

// arm starts the plan's trigger and returns a channel closed once it has
// killed the remote (for a delay or a stall, once it is time to kill).
func (r *crashRun) arm(pl crashPlan, kill func(), stderr *stderrLog, stop <-chan struct{}) <-chan struct{} {
	switch pl.trigger {
	case "step":
		return stderr.awaitStall(pl.step)
	case "delay":
		ch := make(chan struct{})
		time.AfterFunc(pl.delay, func() { close(ch) })
		return ch
	case "stall":
		ch := make(chan struct{})
		go func() {
			for !hasLiveTemp(r.st.root, pl.stall) {
				select {
				case <-stop:
					return
				case <-time.After(time.Millisecond):
				}
			}
			close(ch)
		}()
		return ch
	}
	return r.st.proxy.arm(pl.proxy, kill)
}

// observe keeps a running estimate of how long each class of request
// takes, so that delays land inside requests.
func (r *crashRun) observe(class string, d time.Duration) {
	if old := r.est[class]; old != 0 {
		d = (3*old + d) / 4
	}
	r.est[class] = d
}

// check compares the storage with what the plan allows after done requests
// completed, and the next one was in flight if inflight, then takes what
// is there as the state.
func (r *crashRun) check(n int, pl crashPlan, done int, inflight bool, stderr string) {
	t := r.t
	exact := maps.Clone(r.state)
	for _, op := range pl.ops[:done] {
		op.apply(exact)
	}
	allowed := map[string][]int{}
	for _, name := range trickyNames {
		c, ok := exact[name]
		if !ok {
			c = -1
		}
		allowed[name] = []int{c}
	}
	var op crashOp
	if inflight {
		op = pl.ops[done]
		switch op.kind {
		case "store":
			allowed[op.name] = append(allowed[op.name], op.c)
		case "remove":
			allowed[op.name] = append(allowed[op.name], -1)
		case "rename":
			allowed[op.name] = append(allowed[op.name], -1)
			allowed[op.to] = append(allowed[op.to], allowed[op.name][0])
		}
	}
	got := map[string]int{}
	var bad []string
	for name, d := range r.st.files(t) {
		c, ok := r.pool.byHash[d]
		switch {
		case !slices.Contains(trickyNames, name):
			bad = append(bad, fmt.Sprintf("%q: a name never exported (%d bytes)", name, d.size))
		case !ok:
			bad = append(bad, fmt.Sprintf("%q: %d bytes that are no content ever stored: partial or mixed", name, d.size))
		default:
			got[name] = c
		}
	}
	for _, name := range trickyNames {
		c, ok := got[name]
		if !ok {
			c = -1
		}
		if !slices.Contains(allowed[name], c) {
			var may []string
			for _, a := range allowed[name] {
				may = append(may, r.pool.describe(a))
			}
			bad = append(bad, fmt.Sprintf("%q holds %s; it may hold only %s", name, r.pool.describe(c), strings.Join(may, " or ")))
		}
	}
	if inflight && op.kind == "rename" {
		if c := allowed[op.name][0]; got[op.name] != c && got[op.to] != c {
			bad = append(bad, fmt.Sprintf("rename %q to %q: the content is under neither name", op.name, op.to))
		}
	}
	if len(bad) > 0 {
		slices.Sort(bad)
		what := "between requests"
		if inflight {
			what = fmt.Sprintf("during request %d (%v)", done, op)
		}
		r.fail("session %d, killed %s: the storage holds what no request allows:\n%s\nleft by the program: %q\nplan: %v\nremote's stderr:\n%s",
			n, what, strings.Join(bad, "\n"), r.st.leftovers(t), pl, stderr)
	}
	r.state = got
}

// checkSwept fails for what killed processes left and a PREPARE did not
// sweep, once per leftover.
func (r *crashRun) checkSwept(when string) {
	var left []string
	for _, l := range r.st.leftovers(r.t) {
		if !r.reported[l] {
			r.reported[l] = true
			left = append(left, l)
		}
	}
	if len(left) > 0 {
		r.fail("%s: after PREPARE, killed processes' leftovers remain: %q", when, left)
	}
}

// fail reports a broken invariant and goes on, so that one run shows how
// often it breaks; it stops at maxCrashFailures.
func (r *crashRun) fail(format string, args ...any) {
	r.t.Helper()
	r.stats["failures"]++
	r.t.Errorf(format+" (seed %d)", append(args, r.seed)...)
	if r.stats["failures"] >= maxCrashFailures {
		r.t.Fatalf("stopped after %d failures, at %d kill points", maxCrashFailures, r.stats["kills"])
	}
}

const maxCrashFailures = 10

// reexport runs a last, clean process that exports a random tree as
// git-annex would after interrupted exports (skipping names that already
// hold their content), and checks that the storage then equals the tree,
// with nothing left behind. It returns the number of files.
func (r *crashRun) reexport() int {
	t := r.t
	want := map[string]int{}
	for _, name := range trickyNames {
		if r.rng.IntN(4) != 0 {
			want[name] = r.randomContent(false)
		}
	}
	_, s, stderr := r.start(true)
	request := func(line, wantReply string) string {
		got, err := s.Request(line)
		if err != nil || wantReply != "" && got != wantReply {
			s.Kill()
			t.Fatalf("re-export: %s: got %q, %v; want %q\nstderr: %s", line, got, err, wantReply, stderr)
		}
		return got
	}
	request("PREPARE", "PREPARE-SUCCESS")
	r.checkSwept("re-export")
	for _, name := range trickyNames {
		c, wanted := want[name]
		cur, has := r.state[name]
		if !has {
			cur = -1
		}
		switch {
		case !wanted && has:
			s.Send("EXPORT " + name)
			key := r.pool.contents[cur].key
			request("REMOVEEXPORT "+key, "REMOVE-SUCCESS "+key)
		case wanted:
			key := r.pool.contents[c].key
			s.Send("EXPORT " + name)
			switch got := request("CHECKPRESENTEXPORT "+key, ""); got {
			case "CHECKPRESENT-SUCCESS " + key:
				if cur != c {
					s.Kill()
					t.Fatalf("re-export: CHECKPRESENTEXPORT of %q says it holds %s; it holds %s", name, r.pool.describe(c), r.pool.describe(cur))
				}
			case "CHECKPRESENT-FAILURE " + key:
				op := crashOp{kind: "store", name: name, c: c}
				lines := op.lines(r.pool)
				s.Send(lines[0])
				request(lines[1], op.success(r.pool))
			default:
				s.Kill()
				t.Fatalf("re-export: CHECKPRESENTEXPORT of %q: %q\nstderr: %s", name, got, stderr)
			}
		}
	}
	if err := s.Close(); err != nil {
		t.Fatalf("re-export: the remote ended with %v\nstderr: %s", err, stderr)
	}
	got := r.st.files(t)
	var diffs []string
	for _, name := range trickyNames {
		c, wanted := want[name]
		d, has := got[name]
		switch {
		case wanted && !has:
			diffs = append(diffs, fmt.Sprintf("missing: %q", name))
		case !wanted && has:
			diffs = append(diffs, fmt.Sprintf("not removed: %q", name))
		case wanted && !r.pool.holds(d, c):
			diffs = append(diffs, fmt.Sprintf("%q holds %d bytes, not %s", name, d.size, r.pool.describe(c)))
		}
		delete(got, name)
	}
	for name := range got {
		diffs = append(diffs, fmt.Sprintf("extra: %q", name))
	}
	for _, l := range r.st.leftovers(t) {
		diffs = append(diffs, fmt.Sprintf("left behind: %q", l))
	}
	for _, d := range r.st.emptyDirs(t) {
		diffs = append(diffs, fmt.Sprintf("empty directory: %q", d))
	}
	if len(diffs) > 0 {
		slices.Sort(diffs)
		r.fail("the re-export did not converge to the tree:\n%s", strings.Join(diffs, "\n"))
	}
	return len(want)
}

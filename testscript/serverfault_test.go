package testscript_test

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/exporttree/git-annex-remote-exporttree/backends/s3/s3test"
)

// TestServerFault: storage that fails under the program.
func TestServerFault(t *testing.T) {
	t.Run("minio-restart", testMinIORestart)
	t.Run("full-directory", testFullDirectory)
}

// testMinIORestart stops and restarts MinIO at random moments of a long
// `git annex export` (a real git-annex, a few hundred files, multipart ones
// among them). Every transfer git-annex reports failed carries the
// remote's reason; no object visible in the bucket ever has other content
// than its file; and a re-run of the export, with the server up, makes the
// bucket equal the tree.
func testMinIORestart(t *testing.T) {
	annex := findAnnex(t, "bookworm")
	srv := s3test.Dedicated(t) // the test stops it
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 3))

	began := time.Now()
	g := newGitRepo(t, annex.binDir, "AWS_ACCESS_KEY_ID="+srv.AccessKey, "AWS_SECRET_ACCESS_KEY="+srv.SecretKey)
	tree := faultTree(rng)
	for name, data := range tree {
		g.write(name, data)
	}
	g.run("git", "annex", "add", "-q", ".")
	g.run("git", "commit", "-q", "-m", "tree")
	t.Logf("repository set up in %.1fs", time.Since(began).Seconds())
	bucket := srv.NewBucket(t, true)
	g.run("git", "annex", "initremote", "exp", "type=external", "externaltype=exporttree", "encryption=none",
		"exporttree=yes", "backend=s3", "endpoint="+srv.Endpoint, "bucket="+bucket, "partsize=5MiB")

	// Outages come at random numbers of files exported, so they land
	// inside the export: short ones, which minio-go's retries ride out
	// or not, and one longer than its retries (about 8 seconds).
	files := len(tree)
	outages := []outage{
		{after: 5 + rng.IntN(files/6), down: time.Duration(300+rng.IntN(2700)) * time.Millisecond},
		{after: files/4 + rng.IntN(files/6), down: 15 * time.Second},
		{after: files/2 + rng.IntN(files/4), down: time.Duration(300+rng.IntN(2700)) * time.Millisecond},
	}
	progress := &lineCounter{match: "ok", reached: map[int]chan struct{}{}}
	var flapper sync.WaitGroup
	done := make(chan struct{})
	flapper.Go(func() {
		for _, o := range outages {
			select {
			case <-progress.wait(o.after):
			case <-done:
				return
			}
			srv.Close()
			select {
			case <-time.After(o.down):
			case <-done:
			}
			if err := srv.Restart(); err != nil {
				t.Errorf("restarting MinIO: %v", err)
				return
			}
			t.Logf("MinIO was down for %v after %d files", o.down, o.after)
		}
	})
	began = time.Now()
	out, exportErr := g.output(progress, "git", "annex", "export", "main", "--to", "exp")
	close(done)
	flapper.Wait()
	t.Logf("export with outages: %v after %.1fs", exportErr, time.Since(began).Seconds())

	failures := failedTransfers(out)
	if len(failures) == 0 {
		t.Errorf("no transfer failed although MinIO was down for %v; output:\n%s", outages[1].down, out)
	}
	unreachable := false
	for _, f := range failures {
		if !ownReason(f) {
			t.Errorf("%q failed without the program's reason for it:\n%s", f.name, f.text)
		}
		unreachable = unreachable || strings.Contains(f.reason, "unreachable")
	}
	if len(failures) > 0 && !unreachable {
		t.Errorf("no failure says the storage is unreachable:\n%v", failures)
	}
	if exportErr == nil && len(failures) > 0 {
		t.Errorf("git annex export succeeded although %d transfers failed", len(failures))
	}
	if m := failedCount.FindStringSubmatch(out); m == nil || m[1] != fmt.Sprint(len(failures)) {
		t.Errorf("git annex export's count of failures (%q) is not the %d failures shown with their reasons", m, len(failures))
	}
	for _, f := range failures {
		t.Logf("failed: %q: %s", f.name, f.reason)
	}

	c := srv.Client(t)
	visible := bucketDigests(t, c, bucket, map[string]digest{})
	for name, d := range visible {
		if data, ok := tree[name]; !ok || d != digestOf(data) {
			t.Errorf("after the outages, %q is visible in the bucket with %d bytes that are not its file's", name, d.size)
		}
	}
	t.Logf("%d of %d files were in the bucket after the export with outages", len(visible), files)

	began = time.Now()
	g.run("git", "annex", "export", "main", "--to", "exp")
	t.Logf("re-run export: %.1fs", time.Since(began).Seconds())
	got := bucketDigests(t, c, bucket, map[string]digest{})
	var diffs []string
	for name, data := range tree {
		if d, ok := got[name]; !ok || d != digestOf(data) {
			diffs = append(diffs, fmt.Sprintf("%q: missing or different", name))
		}
		delete(got, name)
	}
	for name := range got {
		diffs = append(diffs, fmt.Sprintf("%q: extra", name))
	}
	if len(diffs) > 0 {
		slices.Sort(diffs)
		t.Errorf("the re-run export did not make the bucket equal the tree:\n%s", strings.Join(diffs, "\n"))
	}
}

type outage struct {
	after int // files exported first
	down  time.Duration
}

// faultTree is a few hundred files of a few KiB, some of a MiB, and two
// that S3 receives in parts.
func faultTree(rng *rand.Rand) map[string][]byte {
	tree := map[string][]byte{}
	for i := range 300 {
		size := 1 + rng.IntN(16<<10)
		switch {
		case i%100 == 50:
			size = 6<<20 + rng.IntN(1<<20)
		case i%30 == 7:
			size = 1<<20 + rng.IntN(1<<20)
		}
		data := make([]byte, size)
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		tree[fmt.Sprintf("d%d/file %03d.bin", i%7, i)] = data
	}
	return tree
}

// failure is one transfer git-annex reports failed.
type failure struct {
	name, reason, text string
}

// ownReason reports whether f's reason is the program's own message about
// f's file, as backends.Error words it (`stat "NAME": storage unreachable:
// …`), rather than git-annex's stand-in for a remote that gave none.
func ownReason(f failure) bool {
	own := regexp.MustCompile(`\b(stat|store|rename|remove) ` + regexp.QuoteMeta(strconv.Quote(f.name)) + `: \S`)
	return own.MatchString(f.reason) && !strings.Contains(f.reason, "no reason given")
}

// progressMeter is what is left of a progress meter on a line of its own.
var progressMeter = regexp.MustCompile(`^\d+(\.\d+)?%`)

// failedCount is git-annex's summary of a command's failures.
var failedCount = regexp.MustCompile(`export: (\d+) failed`)

var exportLine = regexp.MustCompile(`^export exp (.*?)(?: (ok|failed))?$`)

// failedTransfers finds, in git-annex export's output, every transfer
// reported "failed", with the file it was exporting and what was shown in
// between: the reason.
func failedTransfers(out string) []failure {
	var fails []failure
	var name string
	var between []string
	for _, raw := range strings.Split(out, "\n") {
		line := shown(raw)
		m := exportLine.FindStringSubmatch(line)
		switch {
		case m != nil && m[2] == "failed":
			fails = append(fails, failure{name: m[1], text: line})
		case m != nil:
			name, between = m[1], nil
		case line == "failed":
			fails = append(fails, failure{name: name, reason: strings.Join(between, " "),
				text: strings.Join(append(append([]string{"export exp " + name}, between...), line), "\n")})
			name, between = "", nil
		case line != "" && !progressMeter.MatchString(line):
			between = append(between, line)
		}
	}
	return fails
}

// shown is what a terminal shows of a line of git-annex's output: the
// last text after a carriage return (progress meters overwrite themselves
// and are then blanked).
func shown(line string) string {
	parts := strings.Split(line, "\r")
	for i := len(parts) - 1; i >= 0; i-- {
		if s := strings.TrimSpace(parts[i]); s != "" {
			return s
		}
	}
	return ""
}

// lineCounter counts the lines written to it that are match (once
// progress meters are stripped), and tells waiters when a count is reached.
type lineCounter struct {
	match   string
	mu      sync.Mutex
	n       int
	partial []byte
	reached map[int]chan struct{}
}

func (c *lineCounter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.partial = append(c.partial, p...)
	for {
		i := bytes.IndexByte(c.partial, '\n')
		if i < 0 {
			break
		}
		if shown(string(c.partial[:i])) == c.match {
			c.n++
			if ch, ok := c.reached[c.n]; ok {
				close(ch)
				delete(c.reached, c.n)
			}
		}
		c.partial = c.partial[i+1:]
	}
	return len(p), nil
}

// wait returns a channel closed once n lines have matched.
func (c *lineCounter) wait(n int) <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan struct{})
	if c.n >= n {
		close(ch)
		return ch
	}
	c.reached[n] = ch
	return ch
}

// gitRepo is a git-annex repository that tests drive from Go, with the
// remote under test and git-annex first on PATH and a HOME of its own.
type gitRepo struct {
	t   *testing.T
	dir string
	env []string
}

func newGitRepo(t *testing.T, annexBinDir string, env ...string) *gitRepo {
	t.Helper()
	home := t.TempDir()
	gitconfig := "[init]\n\tdefaultBranch = main\n[user]\n\tname = Test\n\temail = test@example.invalid\n"
	if err := os.WriteFile(filepath.Join(home, ".gitconfig"), []byte(gitconfig), 0o644); err != nil {
		t.Fatal(err)
	}
	g := &gitRepo{t: t, dir: filepath.Join(t.TempDir(), "repo")}
	g.env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"PATH="+remoteBinDir+string(os.PathListSeparator)+annexBinDir+string(os.PathListSeparator)+os.Getenv("PATH"))
	g.env = append(g.env, env...)
	if err := os.Mkdir(g.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	g.run("git", "init", "-q")
	g.run("git", "annex", "init", "-q", "test")
	return g
}

func (g *gitRepo) write(name string, data []byte) {
	p := filepath.Join(g.dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		g.t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		g.t.Fatal(err)
	}
}

// run runs a command in the repository; it must succeed.
func (g *gitRepo) run(name string, args ...string) {
	g.t.Helper()
	if out, err := g.output(io.Discard, name, args...); err != nil {
		g.t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// output runs a command in the repository, copying its output (stdout
// and stderr, interleaved) to w as it comes, and returns it.
func (g *gitRepo) output(w io.Writer, name string, args ...string) (string, error) {
	var buf bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = g.dir, g.env
	cmd.Stdout = io.MultiWriter(&buf, w)
	cmd.Stderr = cmd.Stdout
	err := cmd.Run()
	return buf.String(), err
}

// TestOwnReason: the server-fault test accepts only the program's own
// reason for a failed file, not progress leftovers around git-annex's
// stand-in for a remote that gave none.
func TestOwnReason(t *testing.T) {
	out := "export exp a b.bin \r100%  14.72 KiB  3 KiB/s 0s\r\n" +
		"  TRANSFER failed with no reason given\nfailed\n" +
		"export exp c.bin \n  git-annex: stat \"c.bin\": storage unreachable: connection refused\nfailed\n" +
		"export exp d.bin \n  git-annex: stat \"c.bin\": storage unreachable: connection refused\nfailed\n"
	want := map[string]bool{"a b.bin": false, "c.bin": true, "d.bin": false}
	failures := failedTransfers(out)
	if len(failures) != len(want) {
		t.Fatalf("failedTransfers found %+v, want %d failures", failures, len(want))
	}
	for _, f := range failures {
		if got := ownReason(f); got != want[f.name] {
			t.Errorf("ownReason(%q, reason %q) = %v, want %v", f.name, f.reason, got, want[f.name])
		}
	}
}

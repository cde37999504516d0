package testscript_test

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// commands are the scripts' own commands.
var commands = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"mktree":       cmdMktree,
	"killremote":   cmdKillremote,
	"leftovers":    cmdLeftovers,
	"cmpwire":      cmdCmpwire,
	"initremote":   cmdInitremote,
	"storeeq":      cmdStoreeq,
	"storeput":     cmdStoreput,
	"storerm":      cmdStorerm,
	"storemv":      cmdStoremv,
	"storecmp":     cmdStorecmp,
	"storeputtree": cmdStoreputtree,
	"verifyremote": cmdVerifyremote,
}

// trickyNames are the names every export must carry exactly: the bytes that
// break naive line parsing, shell quoting and URL encoding.
var trickyNames = []string{
	"plain.txt",
	"with space.txt",
	"runs   of   spaces.txt",
	"trailing space.txt ",
	" leading space.txt",
	"tab\there.txt",
	"non-ascii-\u00fc-\u65e5\u672c.txt",
	"-leading-dash.txt",
	"100%.txt",
	"%41 looks escaped.txt",
	"[brackets] (parens) {braces}.txt",
	"colon:amp&semi;.txt",
	"quote'double\"back\\slash.txt",
	"a/b/c/deep.txt",
	"a/b/sibling.txt",
	"a/top.txt",
	"dup1.txt",
	"dup2.txt",
	"empty.txt",
}

// mktree DIR: writes the tricky tree (at least 50 files, one of 5 MiB, one
// empty, two with the same content) into DIR.
func cmdMktree(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: mktree DIR")
	}
	root := ts.MkAbs(args[0])
	write := func(name string, data []byte) {
		p := filepath.Join(root, filepath.FromSlash(name))
		ts.Check(os.MkdirAll(filepath.Dir(p), 0o755))
		ts.Check(os.WriteFile(p, data, 0o644))
	}
	for _, name := range trickyNames {
		switch name {
		case "empty.txt":
			write(name, nil)
		case "dup1.txt", "dup2.txt":
			write(name, []byte("same content in two files\n"))
		default:
			write(name, []byte("content of "+name+"\n"))
		}
	}
	for i := 0; len(trickyNames)+i < 50; i++ {
		write(fmt.Sprintf("many/file-%02d.txt", i), []byte(fmt.Sprintf("file number %d\n", i)))
	}
	big := make([]byte, 5<<20)
	for i := range big {
		big[i] = byte(i*7 + i>>13)
	}
	write("big/five-mib.bin", big)
}

// killremote DIR MINBYTES: waits until a temporary of the remote under DIR
// holds at least MINBYTES (the store to interrupt is under way: smaller
// stores come and go meanwhile), then SIGKILLs every
// git-annex-remote-exporttree running in this script's $WORK (scripts run
// in parallel: the others' remotes must live).
func cmdKillremote(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: killremote DIR MINBYTES")
	}
	dir := ts.MkAbs(args[0])
	minBytes, err := strconv.ParseInt(args[1], 10, 64)
	ts.Check(err)
	work := ts.Getenv("WORK")
	deadline := time.Now().Add(60 * time.Second)
	for !hasLiveTemp(dir, minBytes) {
		if time.Now().After(deadline) {
			ts.Fatalf("no temporary of %d bytes or more appeared under %s within 60s", minBytes, dir)
		}
		time.Sleep(5 * time.Millisecond)
	}
	killed := 0
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		cmdline, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		argv0, _, _ := bytes.Cut(cmdline, []byte{0})
		if filepath.Base(string(argv0)) != "git-annex-remote-exporttree" {
			continue
		}
		procDir := filepath.Dir(p)
		cwd, err := os.Readlink(filepath.Join(procDir, "cwd"))
		if err != nil || !strings.HasPrefix(cwd+"/", work+"/") {
			continue
		}
		pid, err := strconv.Atoi(filepath.Base(procDir))
		if err == nil && syscall.Kill(pid, syscall.SIGKILL) == nil {
			killed++
		}
	}
	if killed == 0 {
		ts.Fatalf("no git-annex-remote-exporttree process to kill")
	}
	ts.Logf("killed %d git-annex-remote-exporttree process(es) mid-store", killed)
}

func hasLiveTemp(dir string, minBytes int64) bool {
	found := false
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasPrefix(d.Name(), ".git-annex-exporttree-tmp-") {
			if info, err := d.Info(); err == nil && info.Size() >= minBytes {
				found = true
				return fs.SkipAll
			}
		}
		return nil
	})
	return found
}

// leftovers DIR: DIR holds a temporary of the remote (with !, it holds none).
func cmdLeftovers(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: [!] leftovers DIR")
	}
	found := hasLiveTemp(ts.MkAbs(args[0]), 0)
	if found == neg {
		ts.Fatalf("leftover temporaries under %s: %v", args[0], found)
	}
}

// cmpwire GOT WANT: GOT (a file, or stdout) holds exactly WANT's lines,
// except that a WANT line starting with "~ " is a regular expression the
// whole GOT line must match (for content identifiers and temporary paths,
// which differ from run to run). PROGRESS lines in GOT are skipped: whether
// a transfer sends any depends on how long it took.
func cmpwire(ts *testscript.TestScript, got, want string) {
	gotLines := withoutProgress(strings.Split(got, "\n"))
	wantLines := strings.Split(want, "\n")
	for i := 0; i < len(gotLines) || i < len(wantLines); i++ {
		var g, w string
		if i < len(gotLines) {
			g = gotLines[i]
		}
		if i < len(wantLines) {
			w = wantLines[i]
		}
		match, err := wirePattern(w)
		ts.Check(err)
		if !match(g) || (i < len(gotLines)) != (i < len(wantLines)) {
			ts.Fatalf("line %d differs:\n got: %q\nwant: %q\n\nall of it:\n%s", i+1, g, w, got)
		}
	}
}

// progressLine matches a PROGRESS line, with or without a job prefix.
var progressLine = regexp.MustCompile(`^(J \d+ )?PROGRESS `)

func withoutProgress(lines []string) []string {
	kept := lines[:0:0]
	for _, l := range lines {
		if !progressLine.MatchString(l) {
			kept = append(kept, l)
		}
	}
	return kept
}

// wirePattern compiles one wanted protocol line: the line itself, or, after
// "~ ", a regular expression the whole line must match. The conformance
// command (annex) matches replies with it too.
func wirePattern(want string) (func(got string) bool, error) {
	re, isRe := strings.CutPrefix(want, "~ ")
	if !isRe {
		return func(got string) bool { return got == want }, nil
	}
	rx, err := regexp.Compile("^(?:" + re + ")$")
	if err != nil {
		return nil, fmt.Errorf("bad regular expression in %q: %v", want, err)
	}
	return rx.MatchString, nil
}

func cmdCmpwire(ts *testscript.TestScript, neg bool, args []string) {
	perJob := len(args) == 3 && args[0] == "-jobs"
	if perJob {
		args = args[1:]
	}
	if neg || len(args) != 2 {
		ts.Fatalf("usage: cmpwire [-jobs] stdout|FILE WANTFILE")
	}
	got, want := ts.ReadFile(args[0]), ts.ReadFile(args[1])
	if !perJob {
		cmpwire(ts, got, want)
		return
	}
	// ASYNC jobs interleave at random: each job's own lines, and the lines
	// outside any job, must come in order.
	gotJobs, wantJobs := byJob(got), byJob(want)
	for job, w := range wantJobs {
		cmpwire(ts, gotJobs[job], w)
	}
	for job, g := range gotJobs {
		if _, ok := wantJobs[job]; !ok {
			ts.Fatalf("unexpected lines for job %q:\n%s", job, g)
		}
	}
}

// byJob splits protocol lines by their "J n" prefix ("" for none).
func byJob(s string) map[string]string {
	jobs := map[string]string{}
	for _, line := range strings.SplitAfter(s, "\n") {
		if line == "" {
			continue
		}
		job := ""
		if rest, ok := strings.CutPrefix(strings.TrimPrefix(line, "~ "), "J "); ok {
			job, _, _ = strings.Cut(rest, " ")
		}
		jobs[job] += line
	}
	return jobs
}

var safeID = regexp.MustCompile(`git-annex verifyremote \S+ --safe (\S+)`)

// verifyremote NAME: answers yes to git-annex's question after enableremote
// in a clone (is this the location you expected?), which it asks before it
// lists the remote at all: git annex verifyremote NAME --safe ID, with the
// ID that git annex verifyremote NAME prints (it is not fixed).
func cmdVerifyremote(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: verifyremote NAME")
	}
	ts.Check(ts.Exec("git", "annex", "verifyremote", args[0]))
	m := safeID.FindStringSubmatch(ts.ReadFile("stdout"))
	if m == nil {
		ts.Fatalf("git annex verifyremote %s asked for no --safe ID", args[0])
	}
	ts.Check(ts.Exec("git", "annex", "verifyremote", args[0], "--safe", m[1]))
}

func TestWithoutProgress(t *testing.T) {
	got := withoutProgress([]string{"PROGRESS 8", "J 2 PROGRESS 8", "TRANSFER-SUCCESS STORE K", "DEBUG PROGRESS 8", "J 1 TRANSFER-SUCCESS STORE K", ""})
	want := []string{"TRANSFER-SUCCESS STORE K", "DEBUG PROGRESS 8", "J 1 TRANSFER-SUCCESS STORE K", ""}
	if !slices.Equal(got, want) {
		t.Errorf("withoutProgress = %q, want %q", got, want)
	}
}

package main

// Bad input: malformed and hostile protocol lines fed to the program. Every
// case must get a protocol-correct answer (ERROR for a malformed known
// request, UNSUPPORTED-REQUEST for an unknown one, a *-FAILURE with a reason
// for a request that cannot be done), and must leave every file in and
// around the export directory as it was: nothing written outside it, nothing
// under a bad name inside it, nothing done on the strength of a line cut short.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/exporttree/git-annex-remote-exporttree/protocol"
	"github.com/exporttree/git-annex-remote-exporttree/protocol/remotetest"
)

// badKey is the key of the source file's content ("content\n").
const badKey = "SHA256E-s8--c0ffee.txt"

// badCase is one row: what is sent after the handshake (and after PREPARE
// with a directory configuration, unless unprepared), and what comes back.
type badCase struct {
	name        string
	noHandshake bool              // send right after VERSION 2, before EXTENSIONS
	unprepared  bool              // no PREPARE before the lines
	config      map[string]string // nil: directory=$EXPORT guardexport=no
	send        []string          // lines, all sent before any reply is read
	tail        string            // raw bytes that end the input instead of send
	// want lists the replies in order (notes left out). An entry ending in
	// "*" is a prefix that must be followed by a non-empty reason.
	want []string
	why  string // some reply must contain this
	exit int    // run's exit code
}

// Placeholders in lines, tails and configurations, for the paths of a
// case's fixture (see newFixture).
const (
	pParent  = "$PARENT"  // holds everything below
	pExport  = "$EXPORT"  // the export directory: victim.txt, link -> $PARENT
	pSrc     = "$SRC"     // a source file to store, "content\n"
	pOutside = "$OUTSIDE" // a file outside the export
	pDest    = "$DEST"    // where a retrieval would write (must stay absent)
)

func TestBadInput(t *testing.T) {
	const k = badKey
	store := func(name string) []string {
		return []string{"EXPORT " + name, "TRANSFEREXPORT STORE " + k + " " + pSrc}
	}
	garbage := binaryGarbage(4096)
	bigName := strings.Repeat("n", 5<<20)
	bigKey := "SHA256E-s999--" + strings.Repeat("0", 5<<20)
	tooLong := strings.Repeat("x", protocol.DefaultMaxLine+1)
	storeFail := "TRANSFER-FAILURE STORE " + k + " *"

	cases := []badCase{
		// Wrong parameter counts: the request is known, its line is not.
		{name: "PREPARE with a parameter", send: []string{"PREPARE now"}, want: []string{"ERROR *"}, why: "too many parameters"},
		{name: "EXPORTSUPPORTED with a parameter", send: []string{"EXPORTSUPPORTED yes"}, want: []string{"ERROR *"}, why: "too many parameters"},
		{name: "CHECKPRESENTEXPORT without key", send: []string{"EXPORT victim.txt", "CHECKPRESENTEXPORT"}, want: []string{"ERROR *"}, why: "missing key"},
		{name: "CHECKPRESENTEXPORT with two keys", send: []string{"EXPORT victim.txt", "CHECKPRESENTEXPORT " + k + " " + k}, want: []string{"ERROR *"}, why: "too many parameters"},
		{name: "TRANSFEREXPORT without file", send: []string{"EXPORT new.txt", "TRANSFEREXPORT STORE " + k}, want: []string{"ERROR *"}, why: "too few parameters"},
		{name: "TRANSFEREXPORT with empty file", send: []string{"EXPORT new.txt", "TRANSFEREXPORT STORE " + k + " "}, want: []string{"ERROR *"}, why: "missing file name"},
		{name: "TRANSFEREXPORT alone", send: []string{"EXPORT new.txt", "TRANSFEREXPORT"}, want: []string{"ERROR *"}, why: "too few parameters"},
		{name: "TRANSFEREXPORT bad direction", send: []string{"EXPORT new.txt", "TRANSFEREXPORT SEND " + k + " " + pSrc}, want: []string{"ERROR *"}, why: "STORE or RETRIEVE"},
		{name: "REMOVEEXPORT without key", send: []string{"EXPORT victim.txt", "REMOVEEXPORT"}, want: []string{"ERROR *"}, why: "missing key"},
		{name: "RENAMEEXPORT without new name", send: []string{"EXPORT victim.txt", "RENAMEEXPORT " + k}, want: []string{"ERROR *"}, why: "too few parameters"},
		{name: "TRANSFER without file", send: []string{"TRANSFER STORE " + k}, want: []string{"ERROR *"}, why: "too few parameters"},
		{name: "REMOVE with two keys", send: []string{"REMOVE " + k + " " + k}, want: []string{"ERROR *"}, why: "too many parameters"},
		{name: "malformed request uses up the EXPORT", send: []string{"EXPORT victim.txt", "REMOVEEXPORT " + k + " x", "REMOVEEXPORT " + k},
			want: []string{"ERROR *", "ERROR *"}, why: "without EXPORT"},

		// Unknown and misspelled requests.
		{name: "unknown request", send: []string{"FROBNICATE"}, want: []string{"UNSUPPORTED-REQUEST"}},
		{name: "misspelled request", send: []string{"TRANSFEREXPROT STORE " + k + " " + pSrc}, want: []string{"UNSUPPORTED-REQUEST"}},
		{name: "lower-case request", send: []string{"transferexport STORE " + k + " " + pSrc}, want: []string{"UNSUPPORTED-REQUEST"}},
		{name: "empty line", send: []string{""}, want: []string{"UNSUPPORTED-REQUEST"}},
		{name: "leading space", send: []string{" PREPARE"}, want: []string{"UNSUPPORTED-REQUEST"}},
		{name: "tab for space", send: []string{"CHECKPRESENT\t" + k}, want: []string{"UNSUPPORTED-REQUEST"}},
		{name: "the remote's own query", send: []string{"GETCONFIG directory"}, want: []string{"UNSUPPORTED-REQUEST"}},
		{name: "job number without ASYNC", send: []string{"J 1 EXPORTSUPPORTED"}, want: []string{"UNSUPPORTED-REQUEST"}},
		{name: "unknown request before EXTENSIONS", noHandshake: true, send: []string{"FROBNICATE"}, want: []string{"UNSUPPORTED-REQUEST"}},
		{name: "EXTENSIONS again", send: []string{"EXTENSIONS INFO"}, want: []string{"ERROR *"}, why: "first message"},
		// 10.20230126 sends a newline in a file name raw: an unknown word
		// after EXPORT is the rest of the name, and such names are refused.
		{name: "misspelled request after EXPORT", send: []string{"EXPORT new.txt", "TRANSFEREXPROT STORE " + k + " " + pSrc, "TRANSFEREXPORT STORE " + k + " " + pSrc},
			want: []string{storeFail}, why: "newline"},
		{name: "stray VALUE", send: []string{"VALUE " + pParent, "EXPORT new.txt", "CHECKPRESENTEXPORT " + k}, want: []string{"CHECKPRESENT-FAILURE " + k}},

		// Requests before PREPARE (git-annex may send some first), with no
		// configuration to open the storage with.
		{name: "PREPARE without configuration", unprepared: true, config: map[string]string{}, send: []string{"PREPARE"}, want: []string{"PREPARE-FAILURE *"}, why: "directory=PATH"},
		{name: "store before PREPARE", unprepared: true, config: map[string]string{}, send: store("new.txt"), want: []string{storeFail}, why: "directory=PATH"},
		{name: "checkpresent before PREPARE", unprepared: true, config: map[string]string{}, send: []string{"EXPORT victim.txt", "CHECKPRESENTEXPORT " + k},
			want: []string{"CHECKPRESENT-UNKNOWN " + k + " *"}, why: "directory=PATH"},
		{name: "remove before PREPARE", unprepared: true, config: map[string]string{}, send: []string{"EXPORT victim.txt", "REMOVEEXPORT " + k},
			want: []string{"REMOVE-FAILURE " + k + " *"}, why: "directory=PATH"},
		{name: "rename before PREPARE", unprepared: true, config: map[string]string{}, send: []string{"EXPORT victim.txt", "RENAMEEXPORT " + k + " renamed.txt"},
			want: []string{"RENAMEEXPORT-FAILURE " + k}},
		{name: "key store before PREPARE", unprepared: true, config: map[string]string{}, send: []string{"TRANSFER STORE " + k + " " + pSrc}, want: []string{storeFail}, why: "directory=PATH"},
		{name: "PREPARE with missing directory", unprepared: true, config: map[string]string{"directory": pParent + "/missing"}, send: []string{"PREPARE"},
			want: []string{"PREPARE-FAILURE *"}, why: "does not exist"},
		{name: "PREPARE with a file for directory", unprepared: true, config: map[string]string{"directory": pOutside}, send: []string{"PREPARE"},
			want: []string{"PREPARE-FAILURE *"}, why: "not a directory"},
		{name: "PREPARE with unknown backend", unprepared: true, config: map[string]string{"backend": "ftp", "directory": pExport}, send: []string{"PREPARE"},
			want: []string{"PREPARE-FAILURE *"}, why: "unknown backend"},
		{name: "PREPARE with a several-MiB directory", unprepared: true, config: map[string]string{"directory": pExport + "/" + bigName}, send: []string{"PREPARE"},
			want: []string{"PREPARE-FAILURE *"}},

		// Export requests without EXPORT right before them.
		{name: "TRANSFEREXPORT without EXPORT", send: []string{"TRANSFEREXPORT STORE " + k + " " + pSrc}, want: []string{"ERROR *"}, why: "without EXPORT"},
		{name: "CHECKPRESENTEXPORT without EXPORT", send: []string{"CHECKPRESENTEXPORT " + k}, want: []string{"ERROR *"}, why: "without EXPORT"},
		{name: "REMOVEEXPORT without EXPORT", send: []string{"REMOVEEXPORT " + k}, want: []string{"ERROR *"}, why: "without EXPORT"},
		{name: "RENAMEEXPORT without EXPORT", send: []string{"RENAMEEXPORT " + k + " renamed.txt"}, want: []string{"ERROR *"}, why: "without EXPORT"},
		{name: "EXPORT serves one request", send: []string{"EXPORT new.txt", "CHECKPRESENTEXPORT " + k, "TRANSFEREXPORT STORE " + k + " " + pSrc},
			want: []string{"CHECKPRESENT-FAILURE " + k, "ERROR *"}, why: "without EXPORT"},
		{name: "EXPORT before another request", send: []string{"EXPORT new.txt", "CHECKPRESENT " + k, "TRANSFEREXPORT STORE " + k + " " + pSrc},
			want: []string{"CHECKPRESENT-FAILURE " + k, "ERROR *"}, why: "without EXPORT"},
		{name: "IMPORT for EXPORT", send: []string{"IMPORT new.txt", "TRANSFEREXPORT STORE " + k + " " + pSrc}, want: []string{"ERROR *"}, why: "without EXPORT"},
		{name: "LOCATION for EXPORT", send: []string{"LOCATION new.txt", "TRANSFEREXPORT STORE " + k + " " + pSrc}, want: []string{"ERROR *"}, why: "without EXPORT"},

		// Names with "..", ".", empty components; reserved names; a
		// symbolic link planted in the tree.
		{name: "store to ..", send: store(".."), want: []string{storeFail}, why: ".."},
		{name: "store to ../escape.txt", send: store("../escape.txt"), want: []string{storeFail}, why: ".."},
		{name: "store to a/../../escape.txt", send: store("a/../../escape.txt"), want: []string{storeFail}, why: ".."},
		{name: "store to a/../victim.txt", send: store("a/../victim.txt"), want: []string{storeFail}, why: ".."},
		{name: "store to ./new.txt", send: store("./new.txt"), want: []string{storeFail}, why: "component ."},
		{name: "store to a//new.txt", send: store("a//new.txt"), want: []string{storeFail}, why: "empty path component"},
		{name: "store to dir/", send: store("dir/"), want: []string{storeFail}, why: "ends in '/'"},
		{name: "store to empty name", send: store(""), want: []string{storeFail}, why: "empty name"},
		{name: "store to a name with NUL", send: store("a\x00b"), want: []string{storeFail}, why: "NUL"},
		{name: "store through a symbolic link", send: store("link/escape.txt"), want: []string{storeFail}, why: "symbolic link"},
		{name: "store to the key area", send: store(".git-annex-exporttree-keys/new.txt"), want: []string{storeFail}, why: "reserved"},
		{name: "retrieve ../outside.txt", send: []string{"EXPORT ../outside.txt", "TRANSFEREXPORT RETRIEVE " + k + " " + pDest},
			want: []string{"TRANSFER-FAILURE RETRIEVE " + k + " *"}, why: ".."},
		{name: "checkpresent ../outside.txt", send: []string{"EXPORT ../outside.txt", "CHECKPRESENTEXPORT " + k},
			want: []string{"CHECKPRESENT-UNKNOWN " + k + " *"}, why: ".."},
		{name: "remove ../outside.txt", send: []string{"EXPORT ../outside.txt", "REMOVEEXPORT " + k},
			want: []string{"REMOVE-FAILURE " + k + " *"}, why: ".."},
		{name: "rename to ../escape.txt", send: []string{"EXPORT victim.txt", "RENAMEEXPORT " + k + " ../escape.txt"},
			want: []string{"RENAMEEXPORT-FAILURE " + k}},
		{name: "rename ../outside.txt in", send: []string{"EXPORT ../outside.txt", "RENAMEEXPORT " + k + " stolen.txt"},
			want: []string{"RENAMEEXPORT-FAILURE " + k}},
		{name: "remove directory ..", send: []string{"REMOVEEXPORTDIRECTORY .."}, want: []string{"REMOVEEXPORTDIRECTORY-FAILURE"}},
		{name: "remove directory .", send: []string{"REMOVEEXPORTDIRECTORY ."}, want: []string{"REMOVEEXPORTDIRECTORY-FAILURE"}},
		{name: "remove directory link", send: []string{"REMOVEEXPORTDIRECTORY link"}, want: []string{"REMOVEEXPORTDIRECTORY-FAILURE"}},
		{name: "key ..", send: []string{"TRANSFER STORE .. " + pSrc}, want: []string{"TRANSFER-FAILURE STORE .. *"}},
		{name: "key .", send: []string{"TRANSFER STORE . " + pSrc}, want: []string{"TRANSFER-FAILURE STORE . *"}},
		{name: "key ../outside.txt", send: []string{"TRANSFER RETRIEVE ../outside.txt " + pDest},
			want: []string{"TRANSFER-FAILURE RETRIEVE ../outside.txt *"}, why: "not found"},

		// Absolute names.
		{name: "store to an absolute name", send: store(pParent + "/escape.txt"), want: []string{storeFail}, why: "absolute"},
		{name: "retrieve an absolute name", send: []string{"EXPORT " + pOutside, "TRANSFEREXPORT RETRIEVE " + k + " " + pDest},
			want: []string{"TRANSFER-FAILURE RETRIEVE " + k + " *"}, why: "absolute"},
		{name: "checkpresent an absolute name", send: []string{"EXPORT " + pOutside, "CHECKPRESENTEXPORT " + k},
			want: []string{"CHECKPRESENT-UNKNOWN " + k + " *"}, why: "absolute"},
		{name: "remove an absolute name", send: []string{"EXPORT " + pOutside, "REMOVEEXPORT " + k},
			want: []string{"REMOVE-FAILURE " + k + " *"}, why: "absolute"},
		{name: "rename to an absolute name", send: []string{"EXPORT victim.txt", "RENAMEEXPORT " + k + " " + pParent + "/stolen.txt"},
			want: []string{"RENAMEEXPORT-FAILURE " + k}},
		{name: "remove an absolute directory", send: []string{"REMOVEEXPORTDIRECTORY " + pParent + "/src"}, want: []string{"REMOVEEXPORTDIRECTORY-FAILURE"}},

		// Binary garbage without NUL or LF.
		{name: "binary garbage", send: []string{garbage}, want: []string{"UNSUPPORTED-REQUEST"}},
		{name: "binary garbage for EXTENSIONS", noHandshake: true, send: []string{garbage}, want: []string{"UNSUPPORTED-REQUEST"}},
		{name: "binary garbage after EXPORT", send: []string{"EXPORT new.txt", garbage, "TRANSFEREXPORT STORE " + k + " " + pSrc},
			want: []string{storeFail}, why: "newline"},
		{name: "control characters", send: []string{"\x01\x02\x1b[2J\x7f\r"}, want: []string{"UNSUPPORTED-REQUEST"}},

		// Lines of several MiB; one over the limit.
		{name: "several-MiB unknown request", send: []string{bigName}, want: []string{"UNSUPPORTED-REQUEST"}},
		{name: "several-MiB name", send: store(bigName), want: []string{storeFail}, why: "too long"},
		{name: "several-MiB key", send: []string{"EXPORT victim.txt", "CHECKPRESENTEXPORT " + bigKey}, want: []string{"CHECKPRESENT-FAILURE " + bigKey}},
		{name: "line over the limit", send: []string{"EXPORT " + tooLong, "TRANSFEREXPORT STORE " + k + " " + pSrc},
			want: []string{"ERROR *", "ERROR *"}, why: "without EXPORT"},

		// The input ends in the middle of a line: the request is cut short
		// (a file name, a new name) and must not be carried out.
		{name: "EOF in the middle of a store", tail: "EXPORT new.txt\nTRANSFEREXPORT STORE " + k + " " + pSrc, want: []string{"ERROR *"}},
		{name: "EOF in the middle of a rename", tail: "EXPORT victim.txt\nRENAMEEXPORT " + k + " vic", want: []string{"ERROR *"}},
		{name: "EOF in the middle of a remove", tail: "EXPORT victim.txt\nREMOVEEXPORT " + k, want: []string{"ERROR *"}},
		{name: "EOF in the middle of EXPORT", tail: "EXPORT new.t", want: []string{"ERROR *"}},
		{name: "EOF in the middle of a word", tail: "PREP", want: []string{"ERROR *"}},
		{name: "EOF in the middle of EXTENSIONS", noHandshake: true, tail: "EXTENS", want: []string{"ERROR *"}},
		{name: "EOF after EXPORT", tail: "EXPORT new.txt\n"},

		// A VALUE missing where one is awaited (PREPARE asks GETCONFIG).
		{name: "request for VALUE", unprepared: true, send: []string{"PREPARE", "EXPORTSUPPORTED"},
			want: []string{"PREPARE-FAILURE *", "EXPORTSUPPORTED-SUCCESS"}, why: "instead of VALUE"},
		{name: "unknown word for VALUE", unprepared: true, send: []string{"PREPARE", "VALUES " + pExport},
			want: []string{"PREPARE-FAILURE *", "UNSUPPORTED-REQUEST"}, why: "instead of VALUE"},
		{name: "binary garbage for VALUE", unprepared: true, send: []string{"PREPARE", garbage},
			want: []string{"PREPARE-FAILURE *", "UNSUPPORTED-REQUEST"}, why: "instead of VALUE"},
		{name: "CREDS for VALUE", unprepared: true, send: []string{"PREPARE", "CREDS a b"}, want: []string{"PREPARE-FAILURE *"}, why: "answered CREDS"},
		{name: "malformed CREDS for VALUE", unprepared: true, send: []string{"PREPARE", "CREDS a"},
			want: []string{"ERROR *", "PREPARE-FAILURE *"}, why: "too few parameters"},
		{name: "ERROR for VALUE", unprepared: true, send: []string{"PREPARE", "ERROR no"}, want: []string{"PREPARE-FAILURE *"}, why: "answered ERROR"},
		{name: "EOF for VALUE", unprepared: true, tail: "PREPARE\n", want: []string{"GETCONFIG *", "PREPARE-FAILURE *"}, why: "EOF"},
		{name: "ERROR for VERSION", noHandshake: true, send: []string{"ERROR no thanks"}, exit: 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t) })
	}
}

// binaryGarbage returns n reproducible random bytes with no NUL and no LF.
func binaryGarbage(n int) string {
	rng := rand.New(rand.NewChaCha8([32]byte{'b', 'a', 'd'}))
	b := make([]byte, 0, n)
	for len(b) < n {
		if c := byte(rng.UintN(256)); c != 0 && c != '\n' {
			b = append(b, c)
		}
	}
	return string(b)
}

func (c badCase) run(t *testing.T) {
	fx := newFixture(t)
	t.Chdir(fx.parent) // a stray relative path lands where the walk sees it
	config := map[string]string{"directory": pExport, "guardexport": "no"}
	if c.config != nil {
		config = maps.Clone(c.config)
	}
	for name, v := range config {
		config[name] = fx.expand(v)
	}
	before := fx.snapshot()

	var stdout, stderr lockedBuffer
	s := remotetest.Serve(func(in io.Reader, out io.Writer) error {
		// stdout is copied aside before git-annex's side reads it, so
		// lines written after the input ended can be checked too.
		code := run(nil, io.MultiReader(in, strings.NewReader(fx.expand(c.tail))), io.MultiWriter(&stdout, out), &stderr)
		if code != c.exit {
			return fmt.Errorf("exit code %d, want %d", code, c.exit)
		}
		return nil
	}, remotetest.Options{Config: config, Timeout: time.Minute}) // a hang guard only
	closed := false
	defer func() {
		if !closed {
			s.Kill() // the case failed early
		}
	}()
	c.setUp(t, s)
	mark := stdout.Len()
	for _, line := range c.send {
		if err := s.Send(fx.expand(line)); err != nil {
			t.Fatalf("sending %.60q: %v", line, err)
		}
	}
	var got []string
	if c.tail == "" {
		for range c.want {
			line, err := s.Next()
			if err != nil {
				t.Fatalf("after %d replies %.200q: %v", len(got), got, err)
			}
			got = append(got, line)
		}
	}
	closed = true
	if err := s.Close(); err != nil {
		t.Fatalf("the program did not end cleanly: %v\nstderr:\n%s", err, stderr.String())
	}
	if c.tail == "" {
		if extra, err := s.Next(); !errors.Is(err, remotetest.ErrClosed) {
			t.Errorf("after the replies: %.200q, %v", extra, err)
		}
	} else {
		got = replies(stdout.String()[mark:])
	}
	t.Logf("replies: %.200q", got)
	c.check(t, got)
	if strings.Contains(stderr.String(), "panic") {
		t.Errorf("a handler panicked:\n%s", stderr.String())
	}
	if diff := diffSnapshots(before, fx.snapshot()); diff != "" {
		t.Errorf("files changed around the export:\n%s", diff)
	}
}

func (c badCase) setUp(t *testing.T, s *remotetest.Session) {
	t.Helper()
	if c.noHandshake {
		if line, err := s.Next(); err != nil || line != "VERSION 2" {
			t.Fatalf("first line %q, %v", line, err)
		}
		return
	}
	if _, err := s.Handshake("INFO"); err != nil {
		t.Fatal(err)
	}
	if c.unprepared {
		return
	}
	if got, err := s.Request("PREPARE"); err != nil || got != "PREPARE-SUCCESS" {
		t.Fatalf("PREPARE: %q, %v", got, err)
	}
}

// check compares the replies with the case's patterns.
func (c badCase) check(t *testing.T, got []string) {
	t.Helper()
	ok := len(got) == len(c.want)
	for i := 0; ok && i < len(got); i++ {
		prefix, wild := strings.CutSuffix(c.want[i], "*")
		rest, found := strings.CutPrefix(got[i], prefix)
		ok = got[i] == c.want[i] || wild && found && strings.TrimSpace(rest) != ""
	}
	if !ok {
		t.Errorf("replies %.300q, want %q", got, c.want)
		return
	}
	if c.why != "" && !slices.ContainsFunc(got, func(r string) bool { return strings.Contains(r, c.why) }) {
		t.Errorf("no reply says %q", c.why)
	}
}

// replies splits output into lines, leaving out notes and progress.
func replies(out string) []string {
	var lines []string
	for line := range strings.Lines(out) {
		line = strings.TrimSuffix(line, "\n")
		if word, _, _ := strings.Cut(line, " "); word != "DEBUG" && word != "INFO" && word != "PROGRESS" {
			lines = append(lines, line)
		}
	}
	return lines
}

// fixture is the directory tree a case runs in.
type fixture struct {
	t      *testing.T
	parent string
	expand func(string) string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	parent := t.TempDir()
	export := filepath.Join(parent, "export")
	paths := map[string]string{
		pParent:  parent,
		pExport:  export,
		pSrc:     filepath.Join(parent, "src", "content.txt"),
		pOutside: filepath.Join(parent, "outside.txt"),
		pDest:    filepath.Join(parent, "dest", "got"),
	}
	for _, dir := range []string{export, filepath.Join(parent, "src"), filepath.Join(parent, "dest")} {
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, paths[pSrc], "content\n")
	writeFile(t, paths[pOutside], "outside\n")
	writeFile(t, filepath.Join(export, "victim.txt"), "victim\n")
	if err := os.Symlink(parent, filepath.Join(export, "link")); err != nil {
		t.Fatal(err)
	}
	var pairs []string
	for p, v := range paths {
		pairs = append(pairs, p, v)
	}
	return &fixture{t: t, parent: parent, expand: strings.NewReplacer(pairs...).Replace}
}

// snapshot describes every entry below the fixture's parent directory.
func (fx *fixture) snapshot() map[string]string {
	fx.t.Helper()
	return snapshotTree(fx.t, fx.parent)
}

func snapshotTree(t *testing.T, root string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			m[rel] = "symlink to " + target
			return err
		case d.IsDir():
			m[rel] = "directory"
		default:
			data, err := os.ReadFile(p)
			m[rel] = fmt.Sprintf("file %q", data)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// diffSnapshots lists what was added, removed or changed.
func diffSnapshots(before, after map[string]string) string {
	var diff []string
	for p, a := range after {
		if b, ok := before[p]; !ok {
			diff = append(diff, fmt.Sprintf("added %s: %.80s", p, a))
		} else if a != b {
			diff = append(diff, fmt.Sprintf("changed %s: %.80s -> %.80s", p, b, a))
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			diff = append(diff, "removed "+p)
		}
	}
	slices.Sort(diff)
	return strings.Join(diff, "\n")
}

// lockedBuffer is a bytes.Buffer safe for the program's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Len()
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

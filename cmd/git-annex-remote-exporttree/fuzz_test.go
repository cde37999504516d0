package main

import (
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/exporttree/git-annex-remote-exporttree/protocol/remotetest"
)

// localFileParams counts the parameters of the requests whose last
// parameter is a local file of git-annex's (see protocol's arity table).
var localFileParams = map[string]int{
	"TRANSFER":               3,
	"TRANSFEREXPORT":         3,
	"RETRIEVEIMPORT":         1,
	"STOREEXPORTEXPECTED":    2,
	"RETRIEVEEXPORTEXPECTED": 1,
}

var wellFormed = regexp.MustCompile(`^[A-Z][A-Z0-9-]*( [^\n]*)?\n$`)

// FuzzRun feeds arbitrary lines to the program, after a handshake and a
// PREPARE on a directory export (the fixture of TestBadInput): run must
// return (no hang, no panic), write only protocol lines, and change nothing
// outside the export directory but the one file retrievals write to.
//
// The fuzzed lines are git-annex's, which is trusted with its own files: a
// local file parameter other than $SRC or $DEST is replaced by $DEST, and
// VALUE and CREDS lines are left out (only the harness answers queries, so
// the configuration always names the fixture's export directory).
// Placeholders ($SRC, $EXPORT, ...) are expanded.
func FuzzRun(f *testing.F) {
	const k = badKey
	for _, seed := range []string{
		"EXPORT new.txt\nTRANSFEREXPORT STORE " + k + " $SRC\nEXPORT new.txt\nRENAMEEXPORT " + k + " sub/r.txt\n" +
			"EXPORT sub/r.txt\nTRANSFEREXPORT RETRIEVE " + k + " $DEST\nREMOVEEXPORTDIRECTORY sub\n",
		"EXPORT ../x\nTRANSFEREXPORT STORE " + k + " $SRC\nEXPORT link/x\nREMOVEEXPORT " + k + "\nEXPORT victim.txt\nRENAMEEXPORT " + k + " ../x\n",
		"TRANSFER STORE " + k + " $SRC\nCHECKPRESENT " + k + "\nTRANSFER RETRIEVE " + k + " $DEST\nREMOVE " + k + "\n",
		"LISTIMPORTABLECONTENTS\nIMPORT victim.txt\nRETRIEVEIMPORT $DEST\nIMPORT victim.txt\nCHECKPRESENTIMPORT " + k + "\n",
		"LOCATION a\nNOTHINGEXPECTED\nSTOREEXPORTEXPECTED " + k + " $SRC\nLOCATION a\nEXPECTED x\nREMOVEEXPORTEXPECTED " + k + "\n",
		"INITREMOTE\nGETINFO\nEXPORT victim.txt\nCHECKPRESENTEXPORT " + k + "\nEXPORT victim.txt\nREMOVEEXPORT " + k,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, input string) {
		fx := newFixture(t)
		t.Chdir(fx.parent) // a stray relative path lands where the walk sees it
		src, dest := fx.expand(pSrc), fx.expand(pDest)
		before := fx.snapshot()

		var stdout, stderr lockedBuffer
		s := remotetest.Serve(func(in io.Reader, out io.Writer) error {
			if code := run(nil, in, io.MultiWriter(&stdout, out), &stderr); code != 0 {
				t.Errorf("exit code %d", code)
			}
			return nil
		}, remotetest.Options{Config: map[string]string{"directory": fx.expand(pExport)}, Timeout: 10 * time.Second})
		closed := false
		defer func() {
			if !closed {
				s.Kill()
			}
		}()
		if _, err := s.Handshake("INFO"); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Request("PREPARE"); err != nil || got != "PREPARE-SUCCESS" {
			t.Fatalf("PREPARE: %q, %v", got, err)
		}
		drained := make(chan struct{})
		go func() {
			defer close(drained)
			for {
				// The program may be idle a while; Close bounds the wait.
				if _, err := s.Next(); err != nil && !errors.Is(err, remotetest.ErrTimeout) {
					return
				}
			}
		}()
		for line := range strings.Lines(fx.expand(input)) {
			line = strings.TrimSuffix(line, "\n")
			if word, _, _ := strings.Cut(strings.TrimSuffix(line, "\r"), " "); word == "VALUE" || word == "CREDS" {
				continue
			}
			if err := s.Send(confineLocalFile(line, src, dest)); err != nil {
				t.Fatalf("send: %v", err)
			}
		}
		closed = true
		if err := s.Close(); err != nil {
			t.Fatalf("the program did not end: %v", err)
		}
		<-drained
		if strings.Contains(stderr.String(), "panic") {
			t.Fatalf("a handler panicked:\n%s", stderr.String())
		}
		for line := range strings.Lines(stdout.String()) {
			if !wellFormed.MatchString(line) {
				t.Fatalf("malformed output line %q", line)
			}
		}
		after := fx.snapshot()
		for p := range after {
			if strings.HasPrefix(p, "export/") || p == "dest/got" {
				delete(after, p)
			}
		}
		for p := range before {
			if strings.HasPrefix(p, "export/") {
				delete(before, p)
			}
		}
		if diff := diffSnapshots(before, after); diff != "" {
			t.Fatalf("files changed outside the export:\n%s", diff)
		}
	})
}

// confineLocalFile replaces the local file of a request by dest, unless it
// is src or dest already.
func confineLocalFile(line, src, dest string) string {
	word, _, _ := strings.Cut(line, " ")
	n, ok := localFileParams[word]
	if !ok {
		return line
	}
	parts := strings.SplitN(line, " ", n+1)
	if len(parts) == n+1 && parts[n] != src && parts[n] != dest {
		parts[n] = dest
	}
	return strings.Join(parts, " ")
}

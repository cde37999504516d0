package testscript_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/exporttree/git-annex-remote-exporttree/protocol/remotetest"
)

// The annex command's own tests: session files that must be refused, and
// sessions against a scripted remote that must pass, fail or skip.

func TestConformanceParseSessionRefuses(t *testing.T) {
	for _, tc := range []struct{ name, session, want string }{
		{"unknown line", "> PREPARE\nPREPARE-SUCCESS\n", "s:2: unknown line"},
		{"or first", "or X\n", "s:1: or must follow a < line"},
		{"or after send", "> A\nor X\n", "s:2: or must follow"},
		{"stop after repeat", "<* X\nstop Y\n", "s:2: stop must follow"},
		{"handshake late", "> A\nhandshake INFO\n", "s:2: handshake must come first"},
		{"repeat at end", "> LISTCONFIGS\n<* ~ CONFIG .*\n", "s:2: a < line must follow"},
		{"optional at end", ">? RENAMEEXPORT K x\n", "s:1: a < line must follow"},
		{"bad regexp", "< ~ (\n", "s:1: bad regular expression"},
		{"nothing to send", ">\n", "s:1: nothing to send"},
		{"leading space", " > A\n", "s:1: unknown line"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseSession("s", tc.session)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("parseSession: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestConformanceParseSessionKeepsLines(t *testing.T) {
	steps, err := parseSession("s", "# comment\n\n> EXPORT  odd name \n< A\nor ~ B+\nstop C\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 2 || steps[0].text != "EXPORT  odd name " || steps[0].line != 3 {
		t.Fatalf("steps %+v: want the EXPORT line kept byte for byte, from line 3", steps)
	}
	if len(steps[1].wants) != 3 || !steps[1].wants[2].stop || steps[1].matches("BBB") == nil || steps[1].matches("AB") != nil {
		t.Fatalf("wants %+v: want A, ~ B+ and stop C", steps[1].wants)
	}
}

// scripted serves a remote that says VERSION 2 and answers each request
// from replies (several lines separated by "\n"; "" for none), and
// anything else with UNSUPPORTED-REQUEST.
func scripted(replies map[string]string) *remotetest.Session {
	return remotetest.Serve(func(in io.Reader, out io.Writer) error {
		fmt.Fprintln(out, "VERSION 2")
		sc := bufio.NewScanner(in)
		for sc.Scan() {
			reply, ok := replies[sc.Text()]
			if !ok {
				reply = "UNSUPPORTED-REQUEST"
			}
			if reply != "" {
				fmt.Fprintln(out, reply)
			}
		}
		return nil
	}, remotetest.Options{})
}

func TestConformanceRunSession(t *testing.T) {
	replies := map[string]string{
		"EXTENSIONS INFO":  "EXTENSIONS INFO",
		"EXTENSIONS":       "EXTENSIONS ASYNC",
		"PREPARE":          "PREPARE-SUCCESS",
		"CHECKPRESENT K":   "CHECKPRESENT-UNKNOWN K no idea",
		"LISTCONFIGS":      "CONFIG a one\nCONFIG b two\nCONFIGEND",
		"EXPORT x":         "",
		"REMOVEEXPORT K":   "REMOVE-SUCCESS K",
		"INITREMOTE":       "INITREMOTE-FAILURE no storage",
		"EXPORTSUPPORTED":  "EXPORTSUPPORTED-SUCCESS",
		"IMPORTSUPPORTED":  "IMPORTSUPPORTED-FAILURE",
		"CHECKPRESENT K2":  "CHECKPRESENT-FAILURE K2",
		"RENAMEEXPORT K y": "RENAMEEXPORT-SUCCESS K",
	}
	for _, tc := range []struct {
		name, session string
		fail, skip    string // the error or the reason to skip wanted
	}{
		{name: "exact and regexp replies", session: "handshake INFO\n> PREPARE\n< PREPARE-SUCCESS\n> CHECKPRESENT K\n< ~ CHECKPRESENT-UNKNOWN K( .*)?\n"},
		{name: "a wrong reply", session: "handshake INFO\n> CHECKPRESENT K\n< CHECKPRESENT-FAILURE K\n",
			fail: "s:3: after \"CHECKPRESENT K\", the remote replied\n    \"CHECKPRESENT-UNKNOWN K no idea\""},
		{name: "an alternative", session: "handshake INFO\n> IMPORTSUPPORTED\n< IMPORTSUPPORTED-SUCCESS\nor IMPORTSUPPORTED-FAILURE\n"},
		{name: "a repeat then its end", session: "handshake INFO\n> LISTCONFIGS\n<* ~ CONFIG \\S+ .*\n< CONFIGEND\n> PREPARE\n< PREPARE-SUCCESS\n"},
		{name: "a repeat of nothing", session: "handshake INFO\n> PREPARE\n<* ~ CONFIG .*\n< PREPARE-SUCCESS\n"},
		{name: "EXPORT gets no reply", session: "handshake INFO\n> EXPORT x\n> REMOVEEXPORT K\n< REMOVE-SUCCESS K\n"},
		{name: "stop ends the session", session: "handshake INFO\n> INITREMOTE\n< INITREMOTE-SUCCESS\nstop ~ INITREMOTE-FAILURE .*\n> NOT SENT\n< NEVER\n"},
		{name: "an optional request unsupported", session: "handshake INFO\n> EXPORT x\n>? RENAMEEXPORT K z\n< RENAMEEXPORT-SUCCESS K\n> NOT SENT\n< NEVER\n",
			skip: "s:3: the remote answered \"RENAMEEXPORT K z\" with UNSUPPORTED-REQUEST"},
		{name: "an optional request answered", session: "handshake INFO\n>? RENAMEEXPORT K y\n< RENAMEEXPORT-SUCCESS K\n> CHECKPRESENT K2\n< CHECKPRESENT-FAILURE K2\n"},
		{name: "an optional request answered wrong", session: "handshake INFO\n>? RENAMEEXPORT K y\n< RENAMEEXPORT-FAILURE K\n",
			fail: "s:3: after \"RENAMEEXPORT K y\", the remote replied\n    \"RENAMEEXPORT-SUCCESS K\""},
		{name: "an extension not offered", session: "handshake\n", fail: "s:1: the remote accepted the extension ASYNC"},
		{name: "raw start-up", session: "< ~ VERSION [12]\n> EXTENSIONS INFO\n< EXTENSIONS INFO\n"},
		{name: "not VERSION first", session: "< VERSION 1\n", fail: "s:1: the remote replied\n    \"VERSION 2\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			steps, err := parseSession("s", tc.session)
			if err != nil {
				t.Fatal(err)
			}
			s := scripted(replies)
			defer s.Kill()
			skip, err := runSession(s, "s", steps)
			switch {
			case tc.fail != "":
				if err == nil || !strings.Contains(err.Error(), tc.fail) {
					t.Fatalf("runSession: %v, want an error containing %q", err, tc.fail)
				}
			case err != nil:
				t.Fatalf("runSession: %v", err)
			case !strings.HasPrefix(skip, tc.skip) || (skip == "") != (tc.skip == ""):
				t.Fatalf("runSession skips %q, want %q", skip, tc.skip)
			}
		})
	}
}

func TestConformanceRunSessionRemoteGone(t *testing.T) {
	s := remotetest.Serve(func(in io.Reader, out io.Writer) error {
		fmt.Fprintln(out, "VERSION 2")
		return nil // exits at once, as a crashing remote does
	}, remotetest.Options{})
	defer s.Kill()
	steps, err := parseSession("s", "< VERSION 2\n> PREPARE\n< PREPARE-SUCCESS\n")
	if err != nil {
		t.Fatal(err)
	}
	// Sending or reading fails, whichever comes first: at line 2 or 3.
	_, err = runSession(s, "s", steps)
	if err == nil || !strings.HasPrefix(err.Error(), "s:2: ") && !errors.Is(err, remotetest.ErrClosed) {
		t.Fatalf("runSession: %v, want a failure sending line 2 or reading at line 3", err)
	}
}

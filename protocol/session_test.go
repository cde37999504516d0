package protocol_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/exporttree/git-annex-remote-exporttree/protocol"
)

const (
	offer2023 = "INFO GETGITREMOTENAME ASYNC"
	offer2026 = "INFO GETGITREMOTENAME UNAVAILABLERESPONSE TRANSFER-RETRIEVE-URL CHECKPRESENT-URL IMPORTKEY DELEGATE ASYNC"
	key1      = "SHA256E-s6--5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03.txt"
	key2      = "GIT--b8dd0aa7c6be7579bd9b9687a54bb1211f0c910f"
)

func TestExtensionsAnswerIntersection(t *testing.T) {
	tests := []struct {
		offer        string
		disableAsync bool
		want         string
	}{
		{offer2023, false, "INFO GETGITREMOTENAME ASYNC"},
		{offer2023, true, "INFO GETGITREMOTENAME"},
		{offer2026, false, "INFO GETGITREMOTENAME ASYNC"},
		{"ASYNC INFO", false, "ASYNC INFO"},
		{"INFO", false, "INFO"},
		{"", false, ""},
		{"UNAVAILABLERESPONSE IMPORTKEY", false, ""},
		{"INFO INFO", true, "INFO"},
	}
	for _, tt := range tests {
		t.Run(tt.offer, func(t *testing.T) {
			r, _ := newFull()
			p := startPeer(t, r, protocol.Options{DisableAsync: tt.disableAsync})
			p.handshake(tt.offer, tt.want)
			if err := p.end(); err != nil {
				t.Fatalf("Serve: %v", err)
			}
		})
	}
}

func TestVersionRefused(t *testing.T) {
	r, f := newFull()
	p := startPeer(t, r, protocol.Options{})
	p.expect("VERSION 2")
	p.send("ERROR unsupported VERSION")
	err := p.wait()
	if err == nil || !strings.Contains(err.Error(), "unsupported VERSION") {
		t.Fatalf("Serve = %v, want an error quoting git-annex", err)
	}
	for _, want := range []string{"unsupported VERSION", "since 2020", "10.20230126", "upgrade git-annex"} {
		if !strings.Contains(p.stderr.String(), want) {
			t.Errorf("stderr does not mention %q:\n%s", want, p.stderr)
		}
	}
	if c := f.recorded(); len(c) != 0 {
		t.Errorf("handlers called: %q", c)
	}
}

func TestEndOfInputIsNil(t *testing.T) {
	t.Run("before EXTENSIONS", func(t *testing.T) {
		r, _ := newFull()
		p := startPeer(t, r, protocol.Options{})
		p.expect("VERSION 2")
		if err := p.end(); err != nil {
			t.Fatalf("Serve = %v, want nil", err)
		}
	})
	t.Run("after requests", func(t *testing.T) {
		r, _ := newFull()
		p := startPeer(t, r, protocol.Options{})
		p.handshake(offer2023, offer2023)
		p.send("J 1 PREPARE")
		p.expect("J 1 PREPARE-SUCCESS")
		if err := p.end(); err != nil {
			t.Fatalf("Serve = %v, want nil", err)
		}
	})
}

// A git-annex from before EXTENSIONS starts with a request.
func TestNoExtensionsMessage(t *testing.T) {
	r, _ := newFull()
	p := startPeer(t, r, protocol.Options{})
	p.expect("VERSION 2")
	p.send("PREPARE", "CHECKPRESENT "+key1)
	p.expect("PREPARE-SUCCESS", "CHECKPRESENT-SUCCESS "+key1)
	if err := p.end(); err != nil {
		t.Fatal(err)
	}
}

var errBoom = errors.New("boom: it broke")

// TestRequests drives every request through a remote implementing all
// interfaces and checks the exact replies and the arguments handlers got.
func TestRequests(t *testing.T) {
	tests := []sessionCase{
		{name: "initremote", send: []string{"INITREMOTE"}, want: []string{"INITREMOTE-SUCCESS"}, calls: []string{"InitRemote "}},
		{name: "initremote failure",
			setup: func(f *funcs) { f.initRemote = func(context.Context, *protocol.Annex) error { return errBoom } },
			send:  []string{"INITREMOTE"}, want: []string{"INITREMOTE-FAILURE boom: it broke"}},
		{name: "prepare failure",
			setup: func(f *funcs) { f.prepare = func(context.Context, *protocol.Annex) error { return errBoom } },
			send:  []string{"PREPARE"}, want: []string{"PREPARE-FAILURE boom: it broke"}},
		{name: "failure message with newline stays one line",
			setup: func(f *funcs) {
				f.prepare = func(context.Context, *protocol.Annex) error { return errors.New("line one\nline two") }
			},
			send: []string{"PREPARE"}, want: []string{"PREPARE-FAILURE line one line two"}},
		{name: "listconfigs", send: []string{"LISTCONFIGS"},
			want: []string{"CONFIG directory store files here", "CONFIG x ", "CONFIGEND"}},
		{name: "getinfo", send: []string{"GETINFO"}, want: []string{"INFOFIELD directory", "INFOVALUE /srv/a b", "INFOEND"}},
		{name: "getinfo error shows nothing",
			setup: func(f *funcs) {
				f.info = func(context.Context, *protocol.Annex) ([]protocol.InfoField, error) { return nil, errBoom }
			},
			send: []string{"GETINFO"}, want: []string{"INFOEND"}},
		{name: "getcost", send: []string{"GETCOST"}, want: []string{"COST 150"}},
		{name: "getcost error",
			setup: func(f *funcs) { f.cost = func(context.Context, *protocol.Annex) (int, error) { return 0, errBoom } },
			send:  []string{"GETCOST"}, want: []string{"UNSUPPORTED-REQUEST"}},
		{name: "getavailability", send: []string{"GETAVAILABILITY"}, want: []string{"AVAILABILITY LOCAL"}},
		{name: "whereis", send: []string{"WHEREIS " + key1}, want: []string{"WHEREIS-SUCCESS /srv/" + key1}},
		{name: "whereis empty",
			setup: func(f *funcs) {
				f.whereIs = func(context.Context, *protocol.Annex, string) (string, error) { return "", nil }
			},
			send: []string{"WHEREIS " + key1}, want: []string{"WHEREIS-FAILURE"}},
		{name: "transfer store", send: []string{"TRANSFER STORE " + key1 + " .git/annex/objects/a b/" + key1},
			want:  []string{"TRANSFER-SUCCESS STORE " + key1},
			calls: []string{"Store " + key1 + "|.git/annex/objects/a b/" + key1}},
		{name: "transfer retrieve failure",
			setup: func(f *funcs) {
				f.retrieve = func(context.Context, *protocol.Annex, string, string) error { return errBoom }
			},
			send: []string{"TRANSFER RETRIEVE " + key1 + " .git/annex/tmp/x"},
			want: []string{"TRANSFER-FAILURE RETRIEVE " + key1 + " boom: it broke"}},
		{name: "transfer failure with empty message",
			setup: func(f *funcs) {
				f.store = func(context.Context, *protocol.Annex, string, string) error { return errors.New("") }
			},
			send: []string{"TRANSFER STORE " + key1 + " f"},
			want: []string{"TRANSFER-FAILURE STORE " + key1 + " failed"}},
		{name: "checkpresent", send: []string{"CHECKPRESENT " + key1}, want: []string{"CHECKPRESENT-SUCCESS " + key1}},
		{name: "checkpresent absent",
			setup: func(f *funcs) {
				f.checkPresent = func(context.Context, *protocol.Annex, string) (bool, error) { return false, nil }
			},
			send: []string{"CHECKPRESENT " + key1}, want: []string{"CHECKPRESENT-FAILURE " + key1}},
		{name: "checkpresent unknown",
			setup: func(f *funcs) {
				f.checkPresent = func(context.Context, *protocol.Annex, string) (bool, error) { return true, errBoom }
			},
			send: []string{"CHECKPRESENT " + key1}, want: []string{"CHECKPRESENT-UNKNOWN " + key1 + " boom: it broke"}},
		{name: "remove", send: []string{"REMOVE " + key2}, want: []string{"REMOVE-SUCCESS " + key2}},
		{name: "remove failure",
			setup: func(f *funcs) { f.remove = func(context.Context, *protocol.Annex, string) error { return errBoom } },
			send:  []string{"REMOVE " + key2}, want: []string{"REMOVE-FAILURE " + key2 + " boom: it broke"}},
		{name: "exportsupported", send: []string{"EXPORTSUPPORTED"}, want: []string{"EXPORTSUPPORTED-SUCCESS"}},
		{name: "importsupported", send: []string{"IMPORTSUPPORTED"}, want: []string{"IMPORTSUPPORTED-FAILURE"}},
		{name: "export store", send: []string{"EXPORT dir/two  spaces.txt ", "TRANSFEREXPORT STORE " + key1 + " /tmp/export12157-2"},
			want:  []string{"TRANSFER-SUCCESS STORE " + key1},
			calls: []string{"StoreExport dir/two  spaces.txt |" + key1 + "|/tmp/export12157-2"}},
		{name: "export retrieve", send: []string{"EXPORT  leading.txt", "TRANSFEREXPORT RETRIEVE " + key1 + " .git/annex/tmp/k"},
			want:  []string{"TRANSFER-SUCCESS RETRIEVE " + key1},
			calls: []string{"RetrieveExport  leading.txt|" + key1 + "|.git/annex/tmp/k"}},
		{name: "export store failure",
			setup: func(f *funcs) {
				f.storeExport = func(context.Context, *protocol.Annex, string, string, string) error { return errBoom }
			},
			send: []string{"EXPORT a", "TRANSFEREXPORT STORE " + key1 + " f"},
			want: []string{"TRANSFER-FAILURE STORE " + key1 + " boom: it broke"}},
		{name: "checkpresentexport", send: []string{"EXPORT --", "CHECKPRESENTEXPORT " + key1},
			want: []string{"CHECKPRESENT-SUCCESS " + key1}, calls: []string{"CheckPresentExport --|" + key1}},
		{name: "checkpresentexport absent",
			setup: func(f *funcs) {
				f.checkExport = func(context.Context, *protocol.Annex, string, string) (bool, error) { return false, nil }
			},
			send: []string{"EXPORT a", "CHECKPRESENTEXPORT " + key1}, want: []string{"CHECKPRESENT-FAILURE " + key1}},
		{name: "checkpresentexport unknown",
			setup: func(f *funcs) {
				f.checkExport = func(context.Context, *protocol.Annex, string, string) (bool, error) { return false, errBoom }
			},
			send: []string{"EXPORT a", "CHECKPRESENTEXPORT " + key1}, want: []string{"CHECKPRESENT-UNKNOWN " + key1 + " boom: it broke"}},
		{name: "removeexport", send: []string{"EXPORT back\\slash.txt", "REMOVEEXPORT " + key2},
			want: []string{"REMOVE-SUCCESS " + key2}, calls: []string{"RemoveExport back\\slash.txt|" + key2}},
		{name: "removeexportdirectory", send: []string{"REMOVEEXPORTDIRECTORY new dir"},
			want: []string{"REMOVEEXPORTDIRECTORY-SUCCESS"}, calls: []string{"RemoveExportDirectory new dir"}},
		{name: "removeexportdirectory failure",
			setup: func(f *funcs) { f.removeDir = func(context.Context, *protocol.Annex, string) error { return errBoom } },
			send:  []string{"REMOVEEXPORTDIRECTORY sub"}, want: []string{"REMOVEEXPORTDIRECTORY-FAILURE"}},
		{name: "renameexport", send: []string{"EXPORT old name", "RENAMEEXPORT " + key1 + " .git-annex-tmp-content-" + key1},
			want:  []string{"RENAMEEXPORT-SUCCESS " + key1},
			calls: []string{"RenameExport old name|" + key1 + "|.git-annex-tmp-content-" + key1}},
		{name: "renameexport failure",
			setup: func(f *funcs) {
				f.renameExport = func(context.Context, *protocol.Annex, string, string, string) error { return errBoom }
			},
			send: []string{"EXPORT a", "RENAMEEXPORT " + key1 + " b"}, want: []string{"RENAMEEXPORT-FAILURE " + key1}},
		{name: "renameexport unsupported",
			setup: func(f *funcs) {
				f.renameExport = func(context.Context, *protocol.Annex, string, string, string) error {
					return fmt.Errorf("rename: %w", protocol.ErrUnsupported)
				}
			},
			send: []string{"EXPORT a", "RENAMEEXPORT " + key1 + " b"}, want: []string{"UNSUPPORTED-REQUEST"}},
		{name: "handler declines with ErrUnsupported",
			setup: func(f *funcs) {
				f.store = func(context.Context, *protocol.Annex, string, string) error { return protocol.ErrUnsupported }
			},
			send: []string{"TRANSFER STORE " + key1 + " f"}, want: []string{"UNSUPPORTED-REQUEST"}},
		{name: "handler panic is a failure",
			setup: func(f *funcs) {
				f.checkPresent = func(context.Context, *protocol.Annex, string) (bool, error) { panic("nil map") }
			},
			send: []string{"CHECKPRESENT " + key1, "REMOVE " + key1},
			want: []string{"CHECKPRESENT-UNKNOWN " + key1 + " internal error while handling CHECKPRESENT: nil map", "REMOVE-SUCCESS " + key1}},
		{name: "EXPORT is consumed by the next request",
			send: []string{"EXPORT a", "CHECKPRESENT " + key1, "CHECKPRESENTEXPORT " + key1},
			want: []string{"CHECKPRESENT-SUCCESS " + key1, "ERROR CHECKPRESENTEXPORT without EXPORT before it"}},
		{name: "non-UTF-8 name and CR kept",
			send:  []string{"EXPORT caf\xe9 %[x]\r", "CHECKPRESENTEXPORT " + key1},
			want:  []string{"CHECKPRESENT-SUCCESS " + key1},
			calls: []string{"CheckPresentExport caf\xe9 %[x]\r|" + key1}},
	}
	runSessionCases(t, newFullRemote, offer2023, tests)
}

// A remote that implements only Remote offers nothing else.
func TestCoreOnlyRemote(t *testing.T) {
	f := &funcs{}
	p := startPeer(t, core{f}, protocol.Options{DisableAsync: true})
	p.handshake(offer2023, "INFO GETGITREMOTENAME")
	p.send(
		"LISTCONFIGS", "GETINFO", "GETCOST", "GETAVAILABILITY", "WHEREIS "+key1,
		"TRANSFER STORE "+key1+" f", "CHECKPRESENT "+key1, "REMOVE "+key1,
		"EXPORTSUPPORTED", "IMPORTSUPPORTED",
		"EXPORT a", "TRANSFEREXPORT STORE "+key1+" f",
		"EXPORT a", "CHECKPRESENTEXPORT "+key1,
		"REMOVEEXPORTDIRECTORY a",
		"PREPARE",
	)
	p.expect(
		"UNSUPPORTED-REQUEST", "INFOEND", "UNSUPPORTED-REQUEST", "UNSUPPORTED-REQUEST", "UNSUPPORTED-REQUEST",
		"UNSUPPORTED-REQUEST", "UNSUPPORTED-REQUEST", "UNSUPPORTED-REQUEST",
		"EXPORTSUPPORTED-FAILURE", "IMPORTSUPPORTED-FAILURE",
		"UNSUPPORTED-REQUEST", "UNSUPPORTED-REQUEST", "UNSUPPORTED-REQUEST",
		"PREPARE-SUCCESS",
	)
	if err := p.end(); err != nil {
		t.Fatal(err)
	}
	if c := f.recorded(); !slices.Equal(c, []string{"Prepare "}) {
		t.Errorf("calls = %q", c)
	}
}

func TestUnknownRequests(t *testing.T) {
	r, f := newFull()
	converse(t, r, f, offer2026,
		[]string{"GETORDERED", "CLAIMURL http://example.com/x y", "", "prepare", "J 1 PREPARE", "PREPARE"},
		[]string{"UNSUPPORTED-REQUEST", "UNSUPPORTED-REQUEST", "UNSUPPORTED-REQUEST", "UNSUPPORTED-REQUEST",
			"UNSUPPORTED-REQUEST", "PREPARE-SUCCESS"},
		[]string{"Prepare "})
}

// A known request with parameters that do not fit gets ERROR, and the
// session reads on (git-annex stops using the remote after an ERROR, so
// nothing is lost by continuing).
func TestWrongArity(t *testing.T) {
	r, f := newFull()
	p := startPeer(t, r, protocol.Options{DisableAsync: true})
	p.handshake(offer2023, "INFO GETGITREMOTENAME")
	p.send(
		"PREPARE now",
		"TRANSFER STORE "+key1,
		"TRANSFER UPLOAD "+key1+" f",
		"CHECKPRESENT",
		"REMOVE "+key1+" extra",
		"EXPORT a", "RENAMEEXPORT "+key1,
		"PREPARE",
	)
	p.expect(
		"ERROR PREPARE: too many parameters",
		"ERROR TRANSFER: too few parameters",
		"ERROR TRANSFER: direction must be STORE or RETRIEVE",
		"ERROR CHECKPRESENT: missing key",
		"ERROR REMOVE: too many parameters",
		"ERROR RENAMEEXPORT: too few parameters",
		"PREPARE-SUCCESS",
	)
	if err := p.end(); err != nil {
		t.Fatal(err)
	}
	if c := f.recorded(); !slices.Equal(c, []string{"Prepare "}) {
		t.Errorf("calls = %q", c)
	}
}

func TestExportRequestWithoutExport(t *testing.T) {
	r, f := newFull()
	p := startPeer(t, r, protocol.Options{DisableAsync: true})
	p.handshake(offer2023, "INFO GETGITREMOTENAME")
	p.send(
		"TRANSFEREXPORT STORE "+key1+" f",
		"CHECKPRESENTEXPORT "+key1,
		"REMOVEEXPORT "+key1,
		"RENAMEEXPORT "+key1+" new",
		"EXPORT a", "PREPARE", "REMOVEEXPORT "+key1,
	)
	p.expect(
		"ERROR TRANSFEREXPORT without EXPORT before it",
		"ERROR CHECKPRESENTEXPORT without EXPORT before it",
		"ERROR REMOVEEXPORT without EXPORT before it",
		"ERROR RENAMEEXPORT without EXPORT before it",
		"PREPARE-SUCCESS",
		"ERROR REMOVEEXPORT without EXPORT before it",
	)
	if err := p.end(); err != nil {
		t.Fatal(err)
	}
	if c := f.recorded(); !slices.Equal(c, []string{"Prepare "}) {
		t.Errorf("calls = %q", c)
	}
}

// 10.20230126 sends a newline in a file name raw (transcript
// 31-special-names): the rest of the name arrives as a line of its own.
func TestExportNameWithNewline(t *testing.T) {
	const why = "file names containing a newline cannot be exported"
	for _, async := range []bool{false, true} {
		t.Run(fmt.Sprintf("async=%v", async), func(t *testing.T) {
			r, f := newFull()
			p := startPeer(t, r, protocol.Options{DisableAsync: !async})
			j := p.handshakeJob(async)
			p.send(
				j+"EXPORT new", "line.txt", j+"CHECKPRESENTEXPORT "+key1,
				j+"EXPORT new", "line.txt", j+"TRANSFEREXPORT STORE "+key1+" .git/annex/objects/x",
				j+"EXPORT a", "b", "", "c d", j+"REMOVEEXPORT "+key1,
				j+"EXPORT new", "line.txt", j+"RENAMEEXPORT "+key1+" other",
				j+"EXPORT old", j+"RENAMEEXPORT "+key1+" new",
			)
			p.expect(
				j+"CHECKPRESENT-FAILURE "+key1,
				j+"TRANSFER-FAILURE STORE "+key1+" "+why,
				j+"REMOVE-FAILURE "+key1+" "+why,
				j+"RENAMEEXPORT-FAILURE "+key1,
				j+"RENAMEEXPORT-SUCCESS "+key1,
			)
			if err := p.end(); err != nil {
				t.Fatal(err)
			}
			if c := f.recorded(); !slices.Equal(c, []string{"RenameExport old|" + key1 + "|new"}) {
				t.Errorf("handlers called with a newline name: %q", c)
			}
		})
	}
}

// 10.20230126 also sends a newline in RENAMEEXPORT's new name and in
// REMOVEEXPORTDIRECTORY's directory raw (and the conditional draft's
// REMOVEEXPORTDIRECTORYWHENEMPTY is treated the same). git-annex writes a
// message at once, so the rest of the name is read with the request, which
// then fails without calling the handler: no such name can have been
// exported. A rest not yet read when the request is comes too late: the
// handler gets the name cut short. Either way the rest is never answered,
// and the replies stay in step.
func TestRequestNameWithNewline(t *testing.T) {
	for _, async := range []bool{false, true} {
		for _, together := range []bool{true, false} {
			t.Run(fmt.Sprintf("async=%v/together=%v", async, together), func(t *testing.T) {
				r, f := newWithImport()
				p := startPeer(t, r, protocol.Options{DisableAsync: !async})
				j := p.handshakeJob(async)
				send := p.send // a write per line: each rest comes late
				if together {
					send = p.sendTogether
				}
				send(j + "EXPORT old")
				send(j+"RENAMEEXPORT "+key1+" new", "line.txt")
				send(j+"REMOVEEXPORTDIRECTORY dir", "", "sub")
				send(j+"REMOVEEXPORTDIRECTORYWHENEMPTY d", "e")
				send(j + "PREPARE")
				rename, remove, calls := "-FAILURE", "-FAILURE", []string{"Prepare "}
				if !together {
					rename, remove = "-SUCCESS", "-SUCCESS"
					calls = []string{"RenameExport old|" + key1 + "|new", "RemoveExportDirectory dir",
						"RemoveExportDirectoryWhenEmpty d", "Prepare "}
				}
				p.expect(
					j+"RENAMEEXPORT"+rename+" "+key1,
					j+"REMOVEEXPORTDIRECTORY"+remove,
					j+"REMOVEEXPORTDIRECTORY"+remove,
					j+"PREPARE-SUCCESS",
				)
				if err := p.end(); err != nil {
					t.Fatal(err)
				}
				if c := f.recorded(); !slices.Equal(c, calls) {
					t.Errorf("calls = %q, want %q", c, calls)
				}
				if !together {
					if n := strings.Count(p.stderr.String(), "dropping"); n != 4 {
						t.Errorf("stderr reports %d dropped lines, want 4:\n%s", n, p.stderr)
					}
					return
				}
				for _, name := range []string{"new\nline.txt", "dir\n\nsub", "d\ne"} {
					if !strings.Contains(p.stderr.String(), strconv.Quote(name)) {
						t.Errorf("stderr does not name %q:\n%s", name, p.stderr)
					}
				}
			})
		}
	}
}

// No line-length limit below 1 MiB: a 2 MiB name arrives whole.
func TestHugeLine(t *testing.T) {
	r, f := newFull()
	p := startPeer(t, r, protocol.Options{DisableAsync: true})
	p.handshake(offer2023, "INFO GETGITREMOTENAME")
	name := strings.Repeat("d/", 1<<20) + "f x"
	p.send("EXPORT "+name, "CHECKPRESENTEXPORT "+key1)
	p.expect("CHECKPRESENT-SUCCESS " + key1)
	if err := p.end(); err != nil {
		t.Fatal(err)
	}
	if c := f.recorded(); len(c) != 1 || c[0] != "CheckPresentExport "+name+"|"+key1 {
		t.Errorf("handler did not get the 2 MiB name intact (%d calls)", len(c))
	}
}

// An ERROR from git-annex where no answer is awaited is reported on stderr
// and not answered; unsolicited VALUEs are dropped.
func TestStrayMessagesFromGitAnnex(t *testing.T) {
	r, _ := newFull()
	p := startPeer(t, r, protocol.Options{DisableAsync: true})
	p.handshake(offer2023, "INFO GETGITREMOTENAME")
	p.send("ERROR git remote name not known", "VALUE x", "CREDS a b", "PREPARE")
	p.expect("PREPARE-SUCCESS")
	if err := p.end(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.stderr.String(), "git remote name not known") {
		t.Errorf("stderr does not report the ERROR:\n%s", p.stderr)
	}
}

func TestExtensionsTwice(t *testing.T) {
	r, _ := newFull()
	p := startPeer(t, r, protocol.Options{DisableAsync: true})
	p.handshake(offer2023, "INFO GETGITREMOTENAME")
	p.send("EXTENSIONS INFO", "PREPARE")
	p.expect("ERROR EXTENSIONS is only valid as the first message", "PREPARE-SUCCESS")
	if err := p.end(); err != nil {
		t.Fatal(err)
	}
}

func TestCancelStopsHandlers(t *testing.T) {
	r, f := newFull()
	started := make(chan struct{})
	f.store = func(ctx context.Context, a *protocol.Annex, key, file string) error {
		close(started)
		<-ctx.Done()
		return ctx.Err()
	}
	p := startPeer(t, r, protocol.Options{DisableAsync: true})
	p.handshake(offer2023, "INFO GETGITREMOTENAME")
	p.send("TRANSFER STORE " + key1 + " f")
	<-started
	p.cancel()
	if err := p.wait(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Serve = %v, want context.Canceled", err)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestWriteErrorEndsSession(t *testing.T) {
	r, _ := newFull()
	in := strings.NewReader("EXTENSIONS INFO\nPREPARE\n")
	err := protocol.Serve(context.Background(), r, in, failingWriter{}, protocol.Options{Stderr: &lockedBuffer{}})
	if err == nil || !strings.Contains(err.Error(), "broken pipe") {
		t.Fatalf("Serve = %v, want the write error", err)
	}
}

package protocol_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/exporttree/git-annex-remote-exporttree/protocol"
)

const (
	key3 = "SHA256E-s8--89eaf5ec9a1b0935bcd304dbd8c7872c789736c7036ad40a492668ba11360bef.md"
	// An identifier with spaces and a slash, as in transcript 10.
	oddCID = "odd/cid with spaces s6-m1795375176529695120-i9994253"
)

// emitAll lists entries given as "size name cid" triples, failing on the
// first error.
func emitAll(entries ...[3]string) func(context.Context, *protocol.Annex, func(int64, string, string) error) error {
	return func(ctx context.Context, a *protocol.Annex, emit func(int64, string, string) error) error {
		for _, e := range entries {
			var size int64
			fmt.Sscan(e[0], &size)
			if err := emit(size, e[1], e[2]); err != nil {
				return err
			}
		}
		return nil
	}
}

// TestImportRequests drives every import request and its failure paths
// through a remote implementing everything, without ASYNC.
func TestImportRequests(t *testing.T) {
	tests := []sessionCase{
		{name: "importsupported", send: []string{"IMPORTSUPPORTED"}, want: []string{"IMPORTSUPPORTED-SUCCESS"}, calls: []string{}},
		{name: "listing",
			setup: func(f *funcs) {
				f.list = emitAll([3]string{"9", "tab\there.txt", "s9-m1-i2"}, [3]string{"8", "ünïcödé ✓.txt", "s8"},
					[3]string{"0", "sub/nested/ with  space ", oddCID}, [3]string{"6", ".git-annex-tmp-content-x", "c\r"})
			},
			send: []string{"LISTIMPORTABLECONTENTS"},
			want: []string{
				"IMPORTABLECONTENT 9 tab\there.txt", "IMPORTABLECONTENTIDENTIFIER s9-m1-i2",
				"IMPORTABLECONTENT 8 ünïcödé ✓.txt", "IMPORTABLECONTENTIDENTIFIER s8",
				"IMPORTABLECONTENT 0 sub/nested/ with  space ", "IMPORTABLECONTENTIDENTIFIER " + oddCID,
				"IMPORTABLECONTENT 6 .git-annex-tmp-content-x", "IMPORTABLECONTENTIDENTIFIER c\r",
				"LISTIMPORTABLECONTENTS-SUCCESS"}},
		{name: "empty listing", setup: func(f *funcs) { f.list = emitAll() },
			send: []string{"LISTIMPORTABLECONTENTS"}, want: []string{"LISTIMPORTABLECONTENTS-SUCCESS"}},
		{name: "listing failure",
			setup: func(f *funcs) {
				f.list = func(context.Context, *protocol.Annex, func(int64, string, string) error) error {
					return errors.New("bucket unreachable")
				}
			},
			send: []string{"LISTIMPORTABLECONTENTS"}, want: []string{"LISTIMPORTABLECONTENTS-FAILURE bucket unreachable"}},
		{name: "listing failure part-way is a failure, not a shorter listing",
			setup: func(f *funcs) {
				f.list = func(ctx context.Context, a *protocol.Annex, emit func(int64, string, string) error) error {
					if err := emit(1, "a", "c1"); err != nil {
						return err
					}
					return errors.New("page 2: timeout")
				}
			},
			send: []string{"LISTIMPORTABLECONTENTS"},
			want: []string{"IMPORTABLECONTENT 1 a", "IMPORTABLECONTENTIDENTIFIER c1", "LISTIMPORTABLECONTENTS-FAILURE page 2: timeout"}},
		{name: "listing unsupported",
			setup: func(f *funcs) {
				f.list = func(context.Context, *protocol.Annex, func(int64, string, string) error) error {
					return protocol.ErrUnsupported
				}
			},
			send: []string{"LISTIMPORTABLECONTENTS"}, want: []string{"UNSUPPORTED-REQUEST"}},
		{name: "listing unsupported after entries is a failure",
			setup: func(f *funcs) {
				f.list = func(ctx context.Context, a *protocol.Annex, emit func(int64, string, string) error) error {
					emit(1, "a", "c1")
					return protocol.ErrUnsupported
				}
			},
			send: []string{"LISTIMPORTABLECONTENTS"},
			want: []string{"IMPORTABLECONTENT 1 a", "IMPORTABLECONTENTIDENTIFIER c1", "LISTIMPORTABLECONTENTS-FAILURE unsupported operation"}},
		{name: "listing panic",
			setup: func(f *funcs) {
				f.list = func(ctx context.Context, a *protocol.Annex, emit func(int64, string, string) error) error {
					emit(1, "a", "c1")
					panic("nil map")
				}
			},
			send: []string{"LISTIMPORTABLECONTENTS", "PREPARE"},
			want: []string{"IMPORTABLECONTENT 1 a", "IMPORTABLECONTENTIDENTIFIER c1",
				"LISTIMPORTABLECONTENTS-FAILURE internal error while handling LISTIMPORTABLECONTENTS: nil map", "PREPARE-SUCCESS"}},
		{name: "retrieveimport", send: []string{"IMPORT dir/two words.md", "RETRIEVEIMPORT .git/annex/tmp/CID-s8--s8 x"},
			want:  []string{"RETRIEVEIMPORT-SUCCESS"},
			calls: []string{"RetrieveImport dir/two words.md|.git/annex/tmp/CID-s8--s8 x"}},
		{name: "retrieveimport failure",
			setup: func(f *funcs) {
				f.retrieveImport = func(context.Context, *protocol.Annex, string, string) error {
					return errors.New("changed since listed")
				}
			},
			send: []string{"IMPORT a", "RETRIEVEIMPORT f"}, want: []string{"RETRIEVEIMPORT-FAILURE changed since listed"}},
		{name: "retrieveimport unsupported",
			setup: func(f *funcs) {
				f.retrieveImport = func(context.Context, *protocol.Annex, string, string) error { return protocol.ErrUnsupported }
			},
			send: []string{"IMPORT a", "RETRIEVEIMPORT f"}, want: []string{"UNSUPPORTED-REQUEST"}},
		{name: "checkpresentimport", send: []string{"IMPORT with space.txt", "CHECKPRESENTIMPORT " + key1},
			want: []string{"CHECKPRESENT-SUCCESS " + key1}, calls: []string{"CheckPresentImport with space.txt|" + key1}},
		{name: "checkpresentimport absent",
			setup: func(f *funcs) {
				f.checkImport = func(context.Context, *protocol.Annex, string, string) (bool, error) { return false, nil }
			},
			send: []string{"IMPORT a", "CHECKPRESENTIMPORT " + key1}, want: []string{"CHECKPRESENT-FAILURE " + key1}},
		{name: "checkpresentimport unknown",
			setup: func(f *funcs) {
				f.checkImport = func(context.Context, *protocol.Annex, string, string) (bool, error) { return false, errBoom }
			},
			send: []string{"IMPORT a", "CHECKPRESENTIMPORT " + key1}, want: []string{"CHECKPRESENT-UNKNOWN " + key1 + " boom: it broke"}},
		{name: "importkey", send: []string{"IMPORT dir/two words.md", "IMPORTKEY 8 " + oddCID},
			want: []string{"IMPORTKEY-SUCCESS SHA256E-s8--0123"}, calls: []string{"ImportKey dir/two words.md|8|" + oddCID}},
		{name: "importkey failure",
			setup: func(f *funcs) {
				f.importKey = func(context.Context, *protocol.Annex, string, int64, string) (string, error) {
					return "", errors.New("no checksum")
				}
			},
			send: []string{"IMPORT a", "IMPORTKEY 8 c"}, want: []string{"IMPORTKEY-FAILURE no checksum"}},
		{name: "importkey returns a bad key",
			setup: func(f *funcs) {
				f.importKey = func(context.Context, *protocol.Annex, string, int64, string) (string, error) {
					return "this is not a key", nil
				}
			},
			send: []string{"IMPORT a", "IMPORTKEY 8 c", "IMPORT b", "IMPORTKEY 9 c"},
			want: []string{`IMPORTKEY-FAILURE ImportKey returned "this is not a key", which is not a git-annex key`,
				`IMPORTKEY-FAILURE ImportKey returned "this is not a key", which is not a git-annex key`}},
		{name: "importkey returns an empty key",
			setup: func(f *funcs) {
				f.importKey = func(context.Context, *protocol.Annex, string, int64, string) (string, error) { return "", nil }
			},
			send: []string{"IMPORT a", "IMPORTKEY 8 c"}, want: []string{"IMPORTKEY-FAILURE ImportKey returned an empty key"}},
		{name: "importkey returns a key without --",
			setup: func(f *funcs) {
				f.importKey = func(context.Context, *protocol.Annex, string, int64, string) (string, error) { return "SHA256E", nil }
			},
			send: []string{"IMPORT a", "IMPORTKEY 8 c"},
			want: []string{`IMPORTKEY-FAILURE ImportKey returned "SHA256E", which is not a git-annex key`}},
		{name: "IMPORT is never answered and is consumed by the next request",
			send:  []string{"IMPORT a", "PREPARE", "RETRIEVEIMPORT f", "IMPORT b", "IMPORT c", "CHECKPRESENTIMPORT " + key1},
			want:  []string{"PREPARE-SUCCESS", "ERROR RETRIEVEIMPORT without IMPORT before it", "CHECKPRESENT-SUCCESS " + key1},
			calls: []string{"Prepare ", "CheckPresentImport c|" + key1}},
		{name: "import requests without IMPORT",
			send: []string{"RETRIEVEIMPORT f", "CHECKPRESENTIMPORT " + key1, "IMPORTKEY 1 c",
				"EXPORT a", "RETRIEVEIMPORT f", "IMPORT a", "CHECKPRESENTEXPORT " + key1, "IMPORT a", "LISTIMPORTABLECONTENTS",
				"RETRIEVEIMPORT f"},
			want: []string{"ERROR RETRIEVEIMPORT without IMPORT before it", "ERROR CHECKPRESENTIMPORT without IMPORT before it",
				"ERROR IMPORTKEY without IMPORT before it", "ERROR RETRIEVEIMPORT without IMPORT before it",
				"ERROR CHECKPRESENTEXPORT without EXPORT before it",
				"IMPORTABLECONTENT 6 a.txt", "IMPORTABLECONTENTIDENTIFIER s6-m1-i1", "LISTIMPORTABLECONTENTS-SUCCESS",
				"ERROR RETRIEVEIMPORT without IMPORT before it"},
			calls: []string{"ListImportableContents "}},
		{name: "IMPORT name keeps CR, spaces and non-UTF-8 bytes",
			send:  []string{"IMPORT  cr\rname \xff.txt\r", "RETRIEVEIMPORT .git/annex/tmp/CID-s3--bogus-cid"},
			want:  []string{"RETRIEVEIMPORT-SUCCESS"},
			calls: []string{"RetrieveImport  cr\rname \xff.txt\r|.git/annex/tmp/CID-s3--bogus-cid"}},
		{name: "IMPORT name with a raw newline",
			send: []string{"IMPORT new", "line.txt", "RETRIEVEIMPORT f",
				"IMPORT new", "line.txt", "CHECKPRESENTIMPORT " + key1,
				"IMPORT a", "b", "", "IMPORTKEY 3 c",
				"IMPORT fine", "RETRIEVEIMPORT f"},
			want: []string{"RETRIEVEIMPORT-FAILURE file names containing a newline cannot be imported",
				"CHECKPRESENT-UNKNOWN " + key1 + " file names containing a newline cannot be imported",
				"IMPORTKEY-FAILURE file names containing a newline cannot be imported",
				"RETRIEVEIMPORT-SUCCESS"},
			calls: []string{"RetrieveImport fine|f"}},
		{name: "import requests with parameters that do not fit",
			send: []string{"LISTIMPORTABLECONTENTS now", "IMPORT a", "RETRIEVEIMPORT ", "IMPORT a", "CHECKPRESENTIMPORT",
				"IMPORT a", "IMPORTKEY 8", "IMPORT a", "IMPORTKEY 8 ", "IMPORT a", "IMPORTKEY -1 c", "IMPORT a", "IMPORTKEY +1 c",
				"IMPORT a", "IMPORTKEY 99999999999999999999 c", "PREPARE"},
			want: []string{"ERROR LISTIMPORTABLECONTENTS: too many parameters", "ERROR RETRIEVEIMPORT: missing file name",
				"ERROR CHECKPRESENTIMPORT: missing key", "ERROR IMPORTKEY: too few parameters",
				"ERROR IMPORTKEY: missing content identifier", "ERROR IMPORTKEY: size must be a decimal number of bytes",
				"ERROR IMPORTKEY: size must be a decimal number of bytes", "ERROR IMPORTKEY: size must be a decimal number of bytes",
				"PREPARE-SUCCESS"},
			calls: []string{"Prepare "}},
	}
	runSessionCases(t, newWithImportRemote, offer2023, tests)
}

// Without Importer and ImportKeyer nothing of import is offered, and IMPORT
// is still never answered.
func TestImportNotImplemented(t *testing.T) {
	f := &funcs{}
	p := startPeer(t, full{core{f}}, protocol.Options{DisableAsync: true})
	p.handshake(offer2026, "INFO GETGITREMOTENAME")
	p.send("IMPORTSUPPORTED", "LISTIMPORTABLECONTENTS",
		"IMPORT a", "RETRIEVEIMPORT f", "IMPORT a", "CHECKPRESENTIMPORT "+key1, "IMPORT a", "IMPORTKEY 1 c", "IMPORT a", "PREPARE")
	p.expect("IMPORTSUPPORTED-FAILURE", "UNSUPPORTED-REQUEST",
		"UNSUPPORTED-REQUEST", "UNSUPPORTED-REQUEST", "UNSUPPORTED-REQUEST", "PREPARE-SUCCESS")
	if err := p.end(); err != nil {
		t.Fatal(err)
	}
	if c := f.recorded(); !slices.Equal(c, []string{"Prepare "}) {
		t.Errorf("calls = %q", c)
	}
}

// IMPORTKEY is accepted only from a Remote that implements ImportKeyer, in
// the order git-annex offered it.
func TestImportKeyExtension(t *testing.T) {
	tests := []struct {
		name         string
		remote       protocol.Remote
		offer        string
		disableAsync bool
		want         string
	}{
		{"importkeyer", withImport{}, offer2026, false, "INFO GETGITREMOTENAME IMPORTKEY ASYNC"},
		{"importkeyer without async", withImport{}, offer2026, true, "INFO GETGITREMOTENAME IMPORTKEY"},
		{"importkeyer, not offered", withImport{}, offer2023, false, offer2023},
		{"importkeyer, offered twice", withImport{}, "IMPORTKEY IMPORTKEY", false, "IMPORTKEY"},
		{"importer only", importerOnly{core{&funcs{}}}, offer2026, false, "INFO GETGITREMOTENAME ASYNC"},
		{"exporter", full{core{&funcs{}}}, offer2026, false, "INFO GETGITREMOTENAME ASYNC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := startPeer(t, tt.remote, protocol.Options{DisableAsync: tt.disableAsync})
			p.handshake(tt.offer, tt.want)
			if err := p.end(); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Run("importer only answers IMPORTKEY with UNSUPPORTED-REQUEST", func(t *testing.T) {
		f := &funcs{}
		p := startPeer(t, importerOnly{core{f}}, protocol.Options{DisableAsync: true})
		p.handshake(offer2026, "INFO GETGITREMOTENAME")
		p.send("IMPORTSUPPORTED", "IMPORT a", "IMPORTKEY 1 c", "IMPORT a", "RETRIEVEIMPORT f")
		p.expect("IMPORTSUPPORTED-SUCCESS", "UNSUPPORTED-REQUEST", "RETRIEVEIMPORT-SUCCESS")
		if err := p.end(); err != nil {
			t.Fatal(err)
		}
		if c := f.recorded(); !slices.Equal(c, []string{"RetrieveImport a|f"}) {
			t.Errorf("calls = %q", c)
		}
	})
}

func TestCleanImportName(t *testing.T) {
	clean := []string{"a", "a.txt", "dir/sub/f", " leading", "trailing ", "tab\there", "ünïcödé ✓.txt", "..x", "x..",
		".git-annex-tmp-content-x", ".gitignore", "dir/.gitignore", "a/.../b", "-", "%", "\xff"}
	unclean := map[string]string{
		"":               "is empty",
		"/abs.txt":       "is absolute",
		"/":              "is absolute",
		"../evil.txt":    `".." component`,
		"..":             `".." component`,
		"dir/../x.txt":   `".." component`,
		"dir/..":         `".." component`,
		"./dot.txt":      `"." component`,
		"a/./b":          `"." component`,
		".":              `"." component`,
		"a//b.txt":       `contains "//"`,
		"dir/":           `ends in "/"`,
		".git/evil":      `".git" component`,
		".git":           `".git" component`,
		"sub/.git/x":     `".git" component`,
		".GIT/x":         `".git" component`,
		"a/.Git":         `".git" component`,
		"new\nline.txt":  "newline",
		"cr\rname.txt":   "CR",
		"nul\x00byte":    "NUL",
		"trailing-nl\n":  "newline",
		"a/b/\r":         "CR",
		"sub/nested//x/": "ends in",
	}
	for _, n := range clean {
		if err := protocol.CleanImportName(n); err != nil {
			t.Errorf("CleanImportName(%q) = %v, want nil", n, err)
		}
	}
	for n, why := range unclean {
		err := protocol.CleanImportName(n)
		if err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("CleanImportName(%q) = %v, want an error mentioning %s", n, err, why)
		}
	}
}

// emit refuses what git-annex would mishandle with a *ProtocolError, and the
// refused entries never reach the wire; the remote leaves them out and the
// listing succeeds with the rest.
func TestListingEmitRefusals(t *testing.T) {
	bad := [][3]string{
		{"3", "../evil.txt", "c"}, {"3", "/abs.txt", "c"}, {"3", ".git/evil", "c"}, {"3", "a//b.txt", "c"},
		{"3", "./dot.txt", "c"}, {"3", "dir/../x.txt", "c"}, {"3", "cr\rname.txt", "c"}, {"3", "dir/", "c"},
		{"3", "", "c"}, {"3", "new\nline", "c"},
		{"3", "ok.txt", ""}, {"3", "ok.txt", "two\nlines"}, {"-1", "ok.txt", "c"},
	}
	var refused []string
	r, f := newWithImport()
	f.list = func(ctx context.Context, a *protocol.Annex, emit func(int64, string, string) error) error {
		if err := emit(6, "hello.txt", "s6-a"); err != nil {
			return err
		}
		for _, e := range bad {
			var size int64
			fmt.Sscan(e[0], &size)
			err := emit(size, e[1], e[2])
			var pe *protocol.ProtocolError
			if !errors.As(err, &pe) {
				t.Errorf("emit(%s, %q, %q) = %v, want a *ProtocolError", e[0], e[1], e[2], err)
				continue
			}
			refused = append(refused, err.Error())
		}
		return emit(6, "world.txt", "s6-b")
	}
	p := startPeer(t, r, protocol.Options{DisableAsync: true})
	p.handshake(offer2026, "INFO GETGITREMOTENAME IMPORTKEY")
	p.send("LISTIMPORTABLECONTENTS")
	p.expect("IMPORTABLECONTENT 6 hello.txt", "IMPORTABLECONTENTIDENTIFIER s6-a",
		"IMPORTABLECONTENT 6 world.txt", "IMPORTABLECONTENTIDENTIFIER s6-b", "LISTIMPORTABLECONTENTS-SUCCESS")
	if err := p.end(); err != nil {
		t.Fatal(err)
	}
	if len(refused) != len(bad) {
		t.Fatalf("%d refusals, want %d", len(refused), len(bad))
	}
	for i, want := range []string{"..", "absolute", ".git", "//", `"."`, "..", "CR", "ends in", "empty", "newline",
		"empty content identifier", "contains a newline", "negative size"} {
		if !strings.Contains(refused[i], want) {
			t.Errorf("refusal of %q = %q, want it to mention %s", bad[i][1], refused[i], want)
		}
	}
}

// emit kept past the end of its listing writes nothing.
func TestListingEmitAfterReturn(t *testing.T) {
	r, f := newWithImport()
	var kept func(int64, string, string) error
	f.list = func(ctx context.Context, a *protocol.Annex, emit func(int64, string, string) error) error {
		kept = emit
		return nil
	}
	var late error
	f.prepare = func(ctx context.Context, a *protocol.Annex) error {
		late = kept(1, "late.txt", "c")
		return nil
	}
	p := startPeer(t, r, protocol.Options{DisableAsync: true})
	p.handshake(offer2023, "INFO GETGITREMOTENAME")
	p.send("LISTIMPORTABLECONTENTS", "PREPARE")
	p.expect("LISTIMPORTABLECONTENTS-SUCCESS", "PREPARE-SUCCESS")
	if err := p.end(); err != nil {
		t.Fatal(err)
	}
	if late == nil || !strings.Contains(late.Error(), "after ListImportableContents returned") {
		t.Errorf("late emit = %v", late)
	}
}

// PROGRESS works during RETRIEVEIMPORT (transcript 13) and the draft's
// transfers, and nowhere else in import. Values reported in a transfer's
// first quarter second are held back: dropped before a success, sent
// before a failure.
func TestImportProgress(t *testing.T) {
	r, f := newWithImport()
	progress := func(a *protocol.Annex) {
		a.Progress(65536)
		a.Progress(200000) // at once: held back
	}
	failed := errors.New("disk gone")
	f.retrieveImport = func(ctx context.Context, a *protocol.Annex, name, file string) error {
		progress(a)
		if name == "bad.bin" {
			return failed
		}
		return nil
	}
	f.storeExpected = func(ctx context.Context, a *protocol.Annex, loc protocol.Location, key, file string) (string, error) {
		progress(a)
		return "", failed
	}
	f.retrieveExpected = func(ctx context.Context, a *protocol.Annex, loc protocol.Location, key, file string) error {
		progress(a)
		return failed
	}
	f.checkImport = func(ctx context.Context, a *protocol.Annex, name, key string) (bool, error) {
		progress(a)
		return true, nil
	}
	f.importKey = func(ctx context.Context, a *protocol.Annex, name string, size int64, cid string) (string, error) {
		progress(a)
		return key1, nil
	}
	f.list = func(ctx context.Context, a *protocol.Annex, emit func(int64, string, string) error) error {
		progress(a)
		return nil
	}
	p := startPeer(t, r, protocol.Options{DisableAsync: true})
	p.handshake(offer2026, "INFO GETGITREMOTENAME IMPORTKEY")
	p.send("IMPORT big.bin", "RETRIEVEIMPORT .git/annex/tmp/CID-s200000--x",
		"IMPORT bad.bin", "RETRIEVEIMPORT .git/annex/tmp/CID-s200000--y",
		"LOCATION big.bin", "NOTHINGEXPECTED", "STOREEXPORTEXPECTED "+key1+" f",
		"LOCATION big.bin", "EXPECTED c", "RETRIEVEEXPORTEXPECTED f",
		"IMPORT big.bin", "CHECKPRESENTIMPORT "+key1,
		"IMPORT big.bin", "IMPORTKEY 200000 c",
		"LISTIMPORTABLECONTENTS")
	p.expect("RETRIEVEIMPORT-SUCCESS",
		"PROGRESS 200000", "RETRIEVEIMPORT-FAILURE disk gone",
		"PROGRESS 200000", "STORE-FAILURE "+key1+" disk gone",
		"PROGRESS 200000", "RETRIEVE-FAILURE disk gone",
		"CHECKPRESENT-SUCCESS "+key1,
		"IMPORTKEY-SUCCESS "+key1,
		"LISTIMPORTABLECONTENTS-SUCCESS")
	if err := p.end(); err != nil {
		t.Fatal(err)
	}
}

// Under ASYNC every import line carries J n, IMPORT belongs to its job, and
// a listing in progress on one job does not hold up the others.
func TestAsyncImportInterleaved(t *testing.T) {
	r, f := newWithImport()
	release := make(chan struct{})
	f.list = func(ctx context.Context, a *protocol.Annex, emit func(int64, string, string) error) error {
		if err := emit(7, "f1.txt", "c1"); err != nil {
			return err
		}
		select {
		case <-release:
		case <-ctx.Done():
			return ctx.Err()
		}
		return emit(7, "f2.txt", "c2")
	}
	f.retrieveImport = func(ctx context.Context, a *protocol.Annex, name, file string) error {
		v, err := a.GetConfig(ctx, "directory")
		if err != nil || v != "/srv/"+name {
			return fmt.Errorf("GETCONFIG answered %q, %v", v, err)
		}
		a.Progress(7)
		return nil
	}
	f.checkImport = func(ctx context.Context, a *protocol.Annex, name, key string) (bool, error) {
		return name == "f2.txt", nil
	}
	p := startPeer(t, r, protocol.Options{})
	p.handshake(offer2026, "INFO GETGITREMOTENAME IMPORTKEY ASYNC")
	p.send("J 1 LISTIMPORTABLECONTENTS")
	p.expect("J 1 IMPORTABLECONTENT 7 f1.txt", "J 1 IMPORTABLECONTENTIDENTIFIER c1")
	// Job 1 is still listing.
	p.send("J 2 IMPORT f3.txt", "J 3 IMPORT f2.txt", "J 2 RETRIEVEIMPORT .git/annex/tmp/CID-s7--c3")
	p.expect("J 2 GETCONFIG directory")
	p.send("J 3 CHECKPRESENTIMPORT "+key1, "J 4 IMPORT dir/two words.md", "J 4 IMPORTKEY 8 "+oddCID)
	p.expectUnordered("J 3 CHECKPRESENT-SUCCESS "+key1, "J 4 IMPORTKEY-SUCCESS SHA256E-s8--0123")
	p.send("J 2 VALUE /srv/f3.txt")
	p.expect("J 2 RETRIEVEIMPORT-SUCCESS") // its PROGRESS, quick, is dropped
	close(release)
	p.expect("J 1 IMPORTABLECONTENT 7 f2.txt", "J 1 IMPORTABLECONTENTIDENTIFIER c2", "J 1 LISTIMPORTABLECONTENTS-SUCCESS")
	// Job numbers are reused; each job's IMPORT stays its own, and a
	// raw newline continues job 1's name only.
	p.send("J 1 IMPORT f1.txt", "J 2 IMPORT f2.txt", "J 2 CHECKPRESENTIMPORT "+key1, "J 1 CHECKPRESENTIMPORT "+key1,
		"J 3 IMPORT new", "line.txt", "J 3 RETRIEVEIMPORT f", "J 4 RETRIEVEIMPORT f")
	p.expectUnordered("J 2 CHECKPRESENT-SUCCESS "+key1, "J 1 CHECKPRESENT-FAILURE "+key1,
		"J 3 RETRIEVEIMPORT-FAILURE file names containing a newline cannot be imported",
		"ERROR RETRIEVEIMPORT without IMPORT before it")
	if err := p.end(); err != nil {
		t.Fatal(err)
	}
	calls := f.recorded()
	slices.Sort(calls)
	want := []string{
		"CheckPresentImport f1.txt|" + key1, "CheckPresentImport f2.txt|" + key1, "CheckPresentImport f2.txt|" + key1,
		"ImportKey dir/two words.md|8|" + oddCID, "ListImportableContents ",
		"RetrieveImport f3.txt|.git/annex/tmp/CID-s7--c3",
	}
	if !slices.Equal(calls, want) {
		t.Errorf("calls = %q, want %q", calls, want)
	}
}

// git-annex 10.20261026 restarts its listing after any other message from
// the remote (DEBUG, INFO, a query): the entries before it are dropped and a
// SUCCESS then deletes them from the imported branch. So once an entry is
// on its way, notes go to stderr and queries fail, under ASYNC and without.
func TestListingNotesNotInterleaved(t *testing.T) {
	for _, async := range []bool{false, true} {
		t.Run(fmt.Sprintf("async=%v", async), func(t *testing.T) {
			r, f := newWithImport()
			var queryErr error
			f.list = func(ctx context.Context, a *protocol.Annex, emit func(int64, string, string) error) error {
				a.Debug("before any entry")
				if err := emit(6, "hello.txt", "s6-a"); err != nil {
					return err
				}
				if err := emit(3, ".git/evil", "c"); err == nil {
					t.Error("emit of .git/evil accepted")
				}
				a.Debug("left out .git/evil")
				a.Info("1 file left out")
				_, queryErr = a.GetConfig(ctx, "directory")
				return emit(6, "world.txt", "s6-b")
			}
			p := startPeer(t, r, protocol.Options{DisableAsync: !async})
			pre := ""
			if async {
				p.handshake(offer2026, "INFO GETGITREMOTENAME IMPORTKEY ASYNC")
				pre = "J 1 "
			} else {
				p.handshake(offer2026, "INFO GETGITREMOTENAME IMPORTKEY")
			}
			p.send(pre + "LISTIMPORTABLECONTENTS")
			p.expect(pre+"DEBUG before any entry",
				pre+"IMPORTABLECONTENT 6 hello.txt", pre+"IMPORTABLECONTENTIDENTIFIER s6-a",
				pre+"IMPORTABLECONTENT 6 world.txt", pre+"IMPORTABLECONTENTIDENTIFIER s6-b",
				pre+"LISTIMPORTABLECONTENTS-SUCCESS")
			if err := p.end(); err != nil {
				t.Fatal(err)
			}
			if queryErr == nil {
				t.Error("a query during the listing, after an entry, did not fail")
			}
			for _, note := range []string{"left out .git/evil", "1 file left out"} {
				if !strings.Contains(p.stderr.String(), note) {
					t.Errorf("stderr %q lacks the note %q", p.stderr.String(), note)
				}
			}
		})
	}
}

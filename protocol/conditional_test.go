package protocol_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/exporttree/git-annex-remote-exporttree/protocol"
)

// TestConditionalRequests drives every request of the conditional draft and
// its failure paths, without ASYNC.
func TestConditionalRequests(t *testing.T) {
	tests := []sessionCase{
		{name: "store, nothing expected",
			send:  []string{"LOCATION dir/two  spaces.txt ", "NOTHINGEXPECTED", "STOREEXPORTEXPECTED " + key1 + " .git/annex/objects/a b"},
			want:  []string{"STORE-SUCCESS " + key1 + " cid of " + key1},
			calls: []string{`StoreExportExpected dir/two  spaces.txt  [] nothing=true|` + key1 + "|.git/annex/objects/a b"}},
		{name: "store, several expected",
			send: []string{"LOCATION a", "EXPECTED " + oddCID, "EXPECTED s6-m2", "EXPECTED c\r",
				"STOREEXPORTEXPECTED " + key1 + " f"},
			want:  []string{"STORE-SUCCESS " + key1 + " cid of " + key1},
			calls: []string{`StoreExportExpected a ["` + oddCID + `" "s6-m2" "c\r"] nothing=false|` + key1 + "|f"}},
		{name: "store, neither expected nor nothing",
			send:  []string{"LOCATION a", "STOREEXPORTEXPECTED " + key1 + " f"},
			want:  []string{"STORE-SUCCESS " + key1 + " cid of " + key1},
			calls: []string{`StoreExportExpected a [] nothing=false|` + key1 + "|f"}},
		{name: "store conflict",
			setup: func(f *funcs) {
				f.storeExpected = func(context.Context, *protocol.Annex, protocol.Location, string, string) (string, error) {
					return "", errors.New("a: changed by someone else")
				}
			},
			send: []string{"LOCATION a", "EXPECTED c", "STOREEXPORTEXPECTED " + key1 + " f"},
			want: []string{"STORE-FAILURE " + key1 + " a: changed by someone else"}},
		{name: "store returns an unusable cid",
			setup: func(f *funcs) {
				f.storeExpected = func(_ context.Context, _ *protocol.Annex, loc protocol.Location, _, _ string) (string, error) {
					if loc.Name == "a" {
						return "", nil
					}
					return "two\nlines", nil
				}
			},
			send: []string{"LOCATION a", "NOTHINGEXPECTED", "STOREEXPORTEXPECTED " + key1 + " f",
				"LOCATION b", "NOTHINGEXPECTED", "STOREEXPORTEXPECTED " + key1 + " f"},
			want: []string{`STORE-FAILURE ` + key1 + ` StoreExportExpected returned content identifier "", which cannot be sent`,
				`STORE-FAILURE ` + key1 + ` StoreExportExpected returned content identifier "two\nlines", which cannot be sent`}},
		{name: "store unsupported",
			setup: func(f *funcs) {
				f.storeExpected = func(context.Context, *protocol.Annex, protocol.Location, string, string) (string, error) {
					return "", protocol.ErrUnsupported
				}
			},
			send: []string{"LOCATION a", "NOTHINGEXPECTED", "STOREEXPORTEXPECTED " + key1 + " f"},
			want: []string{"UNSUPPORTED-REQUEST"}},
		{name: "retrieve",
			send:  []string{"LOCATION  leading.txt", "EXPECTED c1", "RETRIEVEEXPORTEXPECTED .git/annex/tmp/a b"},
			want:  []string{"RETRIEVE-SUCCESS"},
			calls: []string{`RetrieveExportExpected  leading.txt ["c1"] nothing=false||.git/annex/tmp/a b`}},
		{name: "retrieve failure",
			setup: func(f *funcs) {
				f.retrieveExpected = func(context.Context, *protocol.Annex, protocol.Location, string, string) error { return errBoom }
			},
			send: []string{"LOCATION a", "EXPECTED c1", "RETRIEVEEXPORTEXPECTED f"},
			want: []string{"RETRIEVE-FAILURE boom: it broke"}},
		{name: "checkpresent",
			send:  []string{"LOCATION a", "EXPECTED c1", "CHECKPRESENTEXPORTEXPECTED " + key1},
			want:  []string{"CHECKPRESENT-SUCCESS " + key1},
			calls: []string{`CheckPresentExportExpected a ["c1"] nothing=false|` + key1}},
		{name: "checkpresent absent",
			setup: func(f *funcs) {
				f.checkExpected = func(context.Context, *protocol.Annex, protocol.Location, string) (bool, error) { return false, nil }
			},
			send: []string{"LOCATION a", "EXPECTED c1", "CHECKPRESENTEXPORTEXPECTED " + key1},
			want: []string{"CHECKPRESENT-FAILURE " + key1}},
		{name: "checkpresent unknown",
			setup: func(f *funcs) {
				f.checkExpected = func(context.Context, *protocol.Annex, protocol.Location, string) (bool, error) { return true, errBoom }
			},
			send: []string{"LOCATION a", "EXPECTED c1", "CHECKPRESENTEXPORTEXPECTED " + key1},
			want: []string{"CHECKPRESENT-UNKNOWN " + key1 + " boom: it broke"}},
		{name: "remove",
			send:  []string{"LOCATION a", "EXPECTED c1", "REMOVEEXPORTEXPECTED " + key2},
			want:  []string{"REMOVE-SUCCESS " + key2},
			calls: []string{`RemoveExportExpected a ["c1"] nothing=false|` + key2}},
		{name: "remove failure",
			setup: func(f *funcs) {
				f.removeExpected = func(context.Context, *protocol.Annex, protocol.Location, string) error { return errBoom }
			},
			send: []string{"LOCATION a", "EXPECTED c1", "REMOVEEXPORTEXPECTED " + key2},
			want: []string{"REMOVE-FAILURE " + key2 + " boom: it broke"}},
		{name: "remove directory when empty",
			send:  []string{"REMOVEEXPORTDIRECTORYWHENEMPTY dir with space"},
			want:  []string{"REMOVEEXPORTDIRECTORY-SUCCESS"},
			calls: []string{"RemoveExportDirectoryWhenEmpty dir with space"}},
		{name: "remove directory when empty failure",
			setup: func(f *funcs) {
				f.removeWhenEmpty = func(context.Context, *protocol.Annex, string) error { return errBoom }
			},
			send: []string{"REMOVEEXPORTDIRECTORYWHENEMPTY sub"}, want: []string{"REMOVEEXPORTDIRECTORY-FAILURE"}},
		{name: "remove directory when empty unsupported",
			setup: func(f *funcs) {
				f.removeWhenEmpty = func(context.Context, *protocol.Annex, string) error { return protocol.ErrUnsupported }
			},
			send: []string{"REMOVEEXPORTDIRECTORYWHENEMPTY sub"}, want: []string{"UNSUPPORTED-REQUEST"}},
		{name: "requests without LOCATION",
			send: []string{"STOREEXPORTEXPECTED " + key1 + " f", "RETRIEVEEXPORTEXPECTED f",
				"CHECKPRESENTEXPORTEXPECTED " + key1, "REMOVEEXPORTEXPECTED " + key1,
				"LOCATION a", "PREPARE", "STOREEXPORTEXPECTED " + key1 + " f",
				"EXPORT a", "STOREEXPORTEXPECTED " + key1 + " f",
				"LOCATION a", "TRANSFEREXPORT STORE " + key1 + " f",
				"LOCATION a", "RETRIEVEIMPORT f"},
			want: []string{"ERROR STOREEXPORTEXPECTED without LOCATION before it", "ERROR RETRIEVEEXPORTEXPECTED without LOCATION before it",
				"ERROR CHECKPRESENTEXPORTEXPECTED without LOCATION before it", "ERROR REMOVEEXPORTEXPECTED without LOCATION before it",
				"PREPARE-SUCCESS", "ERROR STOREEXPORTEXPECTED without LOCATION before it",
				"ERROR STOREEXPORTEXPECTED without LOCATION before it",
				"ERROR TRANSFEREXPORT without EXPORT before it",
				"ERROR RETRIEVEIMPORT without IMPORT before it"},
			calls: []string{"Prepare "}},
		{name: "EXPECTED without LOCATION",
			send: []string{"EXPECTED c", "NOTHINGEXPECTED", "EXPORT a", "EXPECTED c", "CHECKPRESENTEXPORT " + key1, "PREPARE"},
			want: []string{"ERROR EXPECTED without LOCATION before it", "ERROR NOTHINGEXPECTED without LOCATION before it",
				"ERROR EXPECTED without LOCATION before it", "ERROR CHECKPRESENTEXPORT without EXPORT before it", "PREPARE-SUCCESS"},
			calls: []string{"Prepare "}},
		{name: "both EXPECTED and NOTHINGEXPECTED",
			send: []string{"LOCATION a", "EXPECTED c", "NOTHINGEXPECTED", "STOREEXPORTEXPECTED " + key1 + " f",
				"LOCATION a", "NOTHINGEXPECTED", "EXPECTED c", "REMOVEEXPORTEXPECTED " + key1,
				"LOCATION a", "NOTHINGEXPECTED", "NOTHINGEXPECTED", "REMOVEEXPORTEXPECTED " + key1},
			want: []string{"ERROR STOREEXPORTEXPECTED after both EXPECTED and NOTHINGEXPECTED",
				"ERROR REMOVEEXPORTEXPECTED after both EXPECTED and NOTHINGEXPECTED",
				"REMOVE-SUCCESS " + key1},
			calls: []string{`RemoveExportExpected a [] nothing=true|` + key1}},
		{name: "a new LOCATION replaces the last",
			send:  []string{"LOCATION a", "EXPECTED c", "LOCATION b", "NOTHINGEXPECTED", "REMOVEEXPORTEXPECTED " + key1},
			want:  []string{"REMOVE-SUCCESS " + key1},
			calls: []string{`RemoveExportExpected b [] nothing=true|` + key1}},
		{name: "LOCATION name with a raw newline",
			send: []string{"LOCATION new", "line.txt", "NOTHINGEXPECTED", "STOREEXPORTEXPECTED " + key1 + " f",
				"LOCATION new", "line.txt", "EXPECTED c", "RETRIEVEEXPORTEXPECTED f",
				"LOCATION new", "line.txt", "CHECKPRESENTEXPORTEXPECTED " + key1,
				"LOCATION a", "b", "", "REMOVEEXPORTEXPECTED " + key1,
				"LOCATION ok", "NOTHINGEXPECTED", "STOREEXPORTEXPECTED " + key1 + " f"},
			want: []string{"STORE-FAILURE " + key1 + " file names containing a newline cannot be exported",
				"RETRIEVE-FAILURE file names containing a newline cannot be exported",
				"CHECKPRESENT-FAILURE " + key1,
				"REMOVE-FAILURE " + key1 + " file names containing a newline cannot be exported",
				"STORE-SUCCESS " + key1 + " cid of " + key1},
			calls: []string{`StoreExportExpected ok [] nothing=true|` + key1 + "|f"}},
		{name: "parameters that do not fit",
			send: []string{"EXPECTED ", "NOTHINGEXPECTED x", "LOCATION a", "STOREEXPORTEXPECTED " + key1,
				"LOCATION a", "RETRIEVEEXPORTEXPECTED ", "CHECKPRESENTEXPORTEXPECTED", "REMOVEEXPORTEXPECTED " + key1 + " x", "PREPARE"},
			want: []string{"ERROR EXPECTED: missing content identifier", "ERROR NOTHINGEXPECTED: too many parameters",
				"ERROR STOREEXPORTEXPECTED: too few parameters", "ERROR RETRIEVEEXPORTEXPECTED: missing file name",
				"ERROR CHECKPRESENTEXPORTEXPECTED: missing key", "ERROR REMOVEEXPORTEXPECTED: too many parameters",
				"PREPARE-SUCCESS"},
			calls: []string{"Prepare "}},
	}
	runSessionCases(t, newWithImportRemote, offer2023, tests)
}

// Without ConditionalExporter the draft's requests get UNSUPPORTED-REQUEST,
// and LOCATION, EXPECTED and NOTHINGEXPECTED are still never answered.
func TestConditionalNotImplemented(t *testing.T) {
	f := &funcs{}
	p := startPeer(t, full{core{f}}, protocol.Options{DisableAsync: true})
	p.handshake(offer2023, "INFO GETGITREMOTENAME")
	p.send(
		"LOCATION a", "EXPECTED c", "STOREEXPORTEXPECTED "+key1+" f",
		"LOCATION a", "NOTHINGEXPECTED", "RETRIEVEEXPORTEXPECTED f",
		"LOCATION a", "CHECKPRESENTEXPORTEXPECTED "+key1,
		"LOCATION a", "REMOVEEXPORTEXPECTED "+key1,
		"REMOVEEXPORTDIRECTORYWHENEMPTY d",
		"LOCATION a", "EXPECTED c", "PREPARE",
	)
	p.expect("UNSUPPORTED-REQUEST", "UNSUPPORTED-REQUEST", "UNSUPPORTED-REQUEST", "UNSUPPORTED-REQUEST",
		"UNSUPPORTED-REQUEST", "PREPARE-SUCCESS")
	if err := p.end(); err != nil {
		t.Fatal(err)
	}
	if c := f.recorded(); !slices.Equal(c, []string{"Prepare "}) {
		t.Errorf("calls = %q", c)
	}
}

// Under ASYNC each job has its own LOCATION and EXPECTED lines, however the
// lines of different jobs interleave.
func TestAsyncConditionalPerJob(t *testing.T) {
	r, f := newWithImport()
	f.checkExpected = func(ctx context.Context, a *protocol.Annex, loc protocol.Location, key string) (bool, error) {
		return loc.Name == "b.txt", nil
	}
	p := startPeer(t, r, protocol.Options{})
	p.handshake(offer2023, offer2023)
	p.send(
		"J 1 LOCATION a.txt",
		"J 2 LOCATION b.txt",
		"J 1 EXPECTED c1",
		"J 2 NOTHINGEXPECTED",
		"J 1 EXPECTED c2",
		"J 3 LOCATION c.txt",
		"J 2 STOREEXPORTEXPECTED K f",
		"J 3 EXPECTED c3",
		"J 1 REMOVEEXPORTEXPECTED K",
		"J 3 CHECKPRESENTEXPORTEXPECTED K",
		"J 2 LOCATION b.txt",
		"J 2 EXPECTED cid of K",
		"J 2 CHECKPRESENTEXPORTEXPECTED K",
		"J 4 NOTHINGEXPECTED",
		"J 1 RETRIEVEEXPORTEXPECTED f",
	)
	p.expectUnordered(
		"J 2 STORE-SUCCESS K cid of K",
		"J 1 REMOVE-SUCCESS K",
		"J 3 CHECKPRESENT-FAILURE K",
		"J 2 CHECKPRESENT-SUCCESS K",
		"ERROR NOTHINGEXPECTED without LOCATION before it",
		"ERROR RETRIEVEEXPORTEXPECTED without LOCATION before it",
	)
	if err := p.end(); err != nil {
		t.Fatal(err)
	}
	calls := f.recorded()
	slices.Sort(calls)
	want := []string{
		`CheckPresentExportExpected b.txt ["cid of K"] nothing=false|K`,
		`CheckPresentExportExpected c.txt ["c3"] nothing=false|K`,
		`RemoveExportExpected a.txt ["c1" "c2"] nothing=false|K`,
		`StoreExportExpected b.txt [] nothing=true|K|f`,
	}
	if !slices.Equal(calls, want) {
		t.Errorf("calls = %q, want %q", calls, want)
	}
}

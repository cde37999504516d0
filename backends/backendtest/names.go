package backendtest

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
)

// goodNames are valid names a backend must store faithfully, unless its
// harness says it refuses them.
var goodNames = []string{
	"plain",
	"with space",
	"trailing space ",
	" leading space",
	"tab\there",
	"caf\xc3\xa9 na\xc3\xafve \xe2\x98\x83",
	"latin1 \xe9t\xe9",
	"bad utf8 \xff\xfe",
	"-leading-dash",
	"--",
	"100%",
	"%41%2F",
	"[brackets]",
	"glob*?[a-z]",
	"back\\slash",
	"colon:semicolon;",
	"quote\"s'",
	"#hash~tilde",
	"...",
	".hidden",
	"a./b.",
	"x/y/z/deep file",
	"nested/caf\xc3\xa9/[1] 50%",
	strings.Repeat("n", 255),
	".git-annex-tmp-content-not-ours",
}

func testNames(t *testing.T, newHarness HarnessMaker) {
	f := newFixture(t, newHarness)
	var stored []string
	for i, name := range goodNames {
		data := content(name, 100+i)
		if f.props.Refuses != nil && f.props.Refuses(name) {
			f.wantRefused(name, data)
			continue
		}
		cid := f.store(name, data)
		if got := f.wantContent(name, data); got != cid {
			t.Errorf("Store(%q) returned CID %q, the content has %q", name, cid, got)
		}
		stored = append(stored, name)
	}
	f.wantListed("", stored...)
	f.wantListed("nested/caf\xc3\xa9", "nested/caf\xc3\xa9/[1] 50%")
	f.wantEntries(stored...)
	for _, name := range stored {
		if err := f.b.Remove(f.ctx, name, backends.Unconditional); err != nil {
			t.Fatalf("Remove(%q): %v", name, err)
		}
		f.wantAbsent(name)
	}
	f.wantEntries()
}

// wantRefused checks that every operation on name refuses it, not only
// Store: a name the backend cannot represent is not merely absent.
func (f *fixture) wantRefused(name string, data []byte) {
	f.t.Helper()
	_, err := f.b.Store(f.ctx, name, bytes.NewReader(data), backends.StoreOptions{Size: int64(len(data))})
	wantClass(f.t, err, backends.ErrRefused, name)
	var buf bytes.Buffer
	_, err = f.b.Retrieve(f.ctx, name, "", &buf)
	wantClass(f.t, err, backends.ErrRefused, name)
	_, err = f.b.Stat(f.ctx, name)
	wantClass(f.t, err, backends.ErrRefused, name)
	wantClass(f.t, f.b.Remove(f.ctx, name, backends.Unconditional), backends.ErrRefused, name)
	wantClass(f.t, f.b.List(f.ctx, name, func(backends.Info) error { return nil }), backends.ErrRefused, name)
}

// badNames are not valid names; every operation must refuse them.
var badNames = []string{"", "/abs", "/", "../x", "a/../b", "..", ".", "./a", "a/.", "a//b", "a/", "a\x00b"}

func testInvalidNames(t *testing.T, newHarness HarnessMaker) {
	for _, mode := range []string{"native", "fallback"} {
		t.Run(mode, func(t *testing.T) {
			f := newFixture(t, newHarness)
			if mode == "fallback" {
				f.withoutOptional()
			}
			ok := content("ok", 10)
			f.store("ok", ok)
			for _, name := range badNames {
				_, err := f.b.Store(f.ctx, name, bytes.NewReader(ok), backends.StoreOptions{Size: 10})
				wantClass(t, err, backends.ErrRefused, name)
				_, err = f.b.Store(f.ctx, name, bytes.NewReader(ok), backends.StoreOptions{Size: 10, If: backends.NothingThere})
				wantClass(t, err, backends.ErrRefused, name)
				var buf bytes.Buffer
				_, err = f.b.Retrieve(f.ctx, name, "", &buf)
				wantClass(t, err, backends.ErrRefused, name)
				_, err = f.b.Stat(f.ctx, name)
				wantClass(t, err, backends.ErrRefused, name)
				err = f.b.Remove(f.ctx, name, backends.Unconditional)
				wantClass(t, err, backends.ErrRefused, name)
				if name != "" { // "" lists everything
					err = f.b.List(f.ctx, name, func(backends.Info) error { return nil })
					wantClass(t, err, backends.ErrRefused, name)
				}
				err = backends.Rename(f.ctx, f.b, name, "ok2", backends.Unconditional, backends.Unconditional)
				wantClass(t, err, backends.ErrRefused, name)
				err = backends.Rename(f.ctx, f.b, "ok", name, backends.Unconditional, backends.Unconditional)
				wantClass(t, err, backends.ErrRefused, name)
				err = backends.RemoveDir(f.ctx, f.b, name)
				wantClass(t, err, backends.ErrRefused, name)
			}
			f.wantContent("ok", ok)
			f.wantEntries("ok")
		})
	}
}

func testReservedNames(t *testing.T, f *fixture) {
	reserved := []string{
		backends.ReservedPrefix + "-keys/k1",
		backends.ReservedPrefix + "-keys/ab/k2",
		"d/" + backends.ReservedPrefix + "-x",
		backends.ReservedPrefix,
	}
	for _, name := range reserved {
		if !backends.Reserved(name) {
			t.Fatalf("backends.Reserved(%q) = false", name)
		}
		f.store(name, content(name, 10))
	}
	f.store("d/y", content("d/y", 10))
	f.wantListed("", "d/y")
	f.wantListed("d", "d/y")
	f.wantListed(backends.ReservedPrefix + "-keys")
	for _, name := range reserved {
		f.wantContent(name, content(name, 10))
	}
	f.wantEntries(append(reserved, "d/y")...)
	for _, name := range reserved {
		if err := f.b.Remove(f.ctx, name, backends.Unconditional); err != nil {
			t.Fatalf("Remove(%q): %v", name, err)
		}
		f.wantAbsent(name)
	}
	f.wantEntries("d/y")
}

// testLongComponent: a name with a component longer than most filesystems
// hold (256 bytes) is either stored faithfully wherever it is, or refused
// by every operation on that name wherever it is, whether or not its
// parent exists: a name the backend cannot represent is not merely absent.
// Operations on a directory of that name (List, RemoveDir, RemoveEmptyDir)
// may refuse it or find nothing there: S3 servers such as MinIO refuse
// such a key but list an empty prefix for it.
func testLongComponent(t *testing.T, f *fixture) {
	long := strings.Repeat("L", 256)
	// A CID of this backend, for the conditions.
	cid := f.store("present/x", content("present/x", 10))
	names := []string{
		long,
		"present/" + long,
		"absent/" + long,
		"absent/deeper/" + long,
		long + "/x",
		"absent/" + long + "/x",
	}
	_, err := f.storeIf(long, content(long, 10), backends.Unconditional)
	if err == nil {
		f.remove(long)
		for _, name := range names {
			data := content(name, 10)
			cid := f.store(name, data)
			if got := f.wantContent(name, data); got != cid {
				t.Errorf("Store(%q) returned CID %q, the content has %q", name, cid, got)
			}
			f.remove(name)
			f.wantAbsent(name)
		}
		f.wantEntries("present/x")
		return
	}
	wantClass(t, err, backends.ErrRefused, long)
	for _, name := range names {
		data := content(name, 10)
		// (A Store expecting a CID may fail its condition first: S3
		// checks a version ID before the server sees the name.)
		for _, cond := range []backends.Condition{backends.Unconditional, backends.NothingThere} {
			_, err := f.storeIf(name, data, cond)
			wantClass(t, err, backends.ErrRefused, name)
		}
		for _, cond := range []backends.Condition{backends.Unconditional, backends.NothingThere, backends.Matches(cid)} {
			wantClass(t, f.b.Remove(f.ctx, name, cond), backends.ErrRefused, name)
		}
		for _, pin := range []backends.CID{"", cid} {
			var buf bytes.Buffer
			_, err := f.b.Retrieve(f.ctx, name, pin, &buf)
			wantClass(t, err, backends.ErrRefused, name)
		}
		_, err := f.b.Stat(f.ctx, name)
		wantClass(t, err, backends.ErrRefused, name)
		for _, mode := range []string{"native", "fallback"} {
			b := f.b
			if mode == "fallback" {
				b = plain{f.b}
			}
			// The error may name either side.
			err := backends.Rename(f.ctx, b, "present/x", name, backends.Unconditional, backends.Unconditional)
			wantRenameRefused(t, err, "present/x", name)
			err = backends.Rename(f.ctx, b, name, "present/y", backends.Unconditional, backends.Unconditional)
			wantRenameRefused(t, err, name, "present/y")
			f.wantRefusedOrEmpty(name, backends.RemoveDir(f.ctx, b, name))
			f.wantRefusedOrEmpty(name, backends.RemoveEmptyDir(f.ctx, b, name))
		}
		f.wantRefusedOrEmpty(name, f.b.List(f.ctx, name, func(info backends.Info) error {
			t.Errorf("List(%q) yielded %q", name, info.Name)
			return nil
		}))
	}
	f.wantContent("present/x", content("present/x", 10))
	f.wantEntries("present/x")
}

// wantRefusedOrEmpty checks an operation on the directory name, which
// nothing can be under, either refused it or succeeded.
func (f *fixture) wantRefusedOrEmpty(name string, err error) {
	f.t.Helper()
	if err != nil {
		wantClass(f.t, err, backends.ErrRefused, name)
	}
}

// wantRenameRefused checks err refuses the rename of from to to and names
// one of them.
func wantRenameRefused(t *testing.T, err error, from, to string) {
	t.Helper()
	if !errors.Is(err, backends.ErrRefused) {
		t.Fatalf("Rename(%q, %q) = %v, want class %v", from, to, err, backends.ErrRefused)
	}
	if msg := err.Error(); !strings.Contains(msg, strconv.Quote(from)) && !strings.Contains(msg, strconv.Quote(to)) {
		t.Errorf("error %q names neither %q nor %q", msg, from, to)
	}
}

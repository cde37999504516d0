package backendtest

import (
	"bytes"
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

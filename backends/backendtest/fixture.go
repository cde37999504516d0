package backendtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
)

// fixture is one subtest's harness with the helpers the tests share.
type fixture struct {
	t     *testing.T
	ctx   context.Context
	h     Harness
	b     backends.Backend
	props Properties
}

func newFixture(t *testing.T, newHarness HarnessMaker) *fixture {
	t.Helper()
	ctx := t.Context()
	h, err := newHarness(ctx, t)
	if err != nil {
		t.Fatalf("making the harness: %v", err)
	}
	t.Cleanup(h.Close)
	return &fixture{t: t, ctx: ctx, h: h, b: h.Backend(), props: h.Properties()}
}

// withoutOptional hides the backend's optional interfaces, so the helpers
// in package backends take their fallbacks.
func (f *fixture) withoutOptional() {
	f.b = plain{f.b}
}

type plain struct{ backends.Backend }

// content returns n pseudo-random bytes determined by seed.
func content(seed string, n int) []byte {
	h := fnv.New64a()
	h.Write([]byte(seed))
	r := rand.New(rand.NewPCG(h.Sum64(), uint64(n)))
	data := make([]byte, n)
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	return data
}

func (f *fixture) store(name string, data []byte) backends.CID {
	f.t.Helper()
	return f.storeLabel(name, data, "")
}

func (f *fixture) storeLabel(name string, data []byte, label string) backends.CID {
	f.t.Helper()
	cid, err := f.b.Store(f.ctx, name, bytes.NewReader(data), backends.StoreOptions{Size: int64(len(data)), Label: label})
	if err != nil {
		f.t.Fatalf("Store(%q): %v", name, err)
	}
	if cid == "" {
		f.t.Fatalf("Store(%q) returned an empty CID", name)
	}
	return cid
}

func (f *fixture) storeIf(name string, data []byte, cond backends.Condition) (backends.CID, error) {
	return f.b.Store(f.ctx, name, bytes.NewReader(data), backends.StoreOptions{Size: int64(len(data)), If: cond})
}

func (f *fixture) stat(name string) backends.Info {
	f.t.Helper()
	info, err := f.b.Stat(f.ctx, name)
	if err != nil {
		f.t.Fatalf("Stat(%q): %v", name, err)
	}
	if info.Name != name {
		f.t.Errorf("Stat(%q).Name = %q", name, info.Name)
	}
	return info
}

// write acts behind the backend's back.
func (f *fixture) write(name string, data []byte) {
	f.t.Helper()
	if err := f.h.Write(f.ctx, name, data); err != nil {
		f.t.Fatalf("writing %q out of band: %v", name, err)
	}
}

// wantContent checks name holds data, both through the backend and out of
// band, and returns its CID.
func (f *fixture) wantContent(name string, data []byte) backends.CID {
	f.t.Helper()
	got, err := f.h.Read(f.ctx, name)
	if err != nil {
		f.t.Fatalf("reading %q out of band: %v", name, err)
	}
	if !bytes.Equal(got, data) {
		f.t.Fatalf("out of band, %q holds %s, want %s", name, describe(got), describe(data))
	}
	var buf bytes.Buffer
	cid, err := f.b.Retrieve(f.ctx, name, "", &buf)
	if err != nil {
		f.t.Fatalf("Retrieve(%q): %v", name, err)
	}
	if !bytes.Equal(buf.Bytes(), data) {
		f.t.Fatalf("Retrieve(%q) wrote %s, want %s", name, describe(buf.Bytes()), describe(data))
	}
	info := f.stat(name)
	if info.Size != int64(len(data)) {
		f.t.Errorf("Stat(%q).Size = %d, want %d", name, info.Size, len(data))
	}
	if info.CID != cid {
		f.t.Errorf("Stat(%q).CID = %q, but Retrieve returned %q", name, info.CID, cid)
	}
	wantDigests(f.t, "Stat", info, data)
	return cid
}

// wantAbsent checks nothing is stored under name.
func (f *fixture) wantAbsent(name string) {
	f.t.Helper()
	_, err := f.b.Stat(f.ctx, name)
	wantClass(f.t, err, backends.ErrNotFound, name)
	var buf bytes.Buffer
	_, err = f.b.Retrieve(f.ctx, name, "", &buf)
	wantClass(f.t, err, backends.ErrNotFound, name)
	if buf.Len() > 0 {
		f.t.Errorf("Retrieve(%q) of an absent name wrote %d bytes", name, buf.Len())
	}
	if _, err := f.h.Read(f.ctx, name); !errors.Is(err, fs.ErrNotExist) {
		f.t.Errorf("reading absent %q out of band: got %v, want not exist", name, err)
	}
}

// wantEntries checks the storage holds exactly names (plus their parent
// directories, for storage with directories): no temporary, no empty
// directory.
func (f *fixture) wantEntries(names ...string) {
	f.t.Helper()
	want := map[string]bool{}
	for _, name := range names {
		want[name] = true
		if f.props.Directories {
			for i, c := range []byte(name) {
				if c == '/' {
					want[name[:i+1]] = true
				}
			}
		}
	}
	got, err := f.h.Entries(f.ctx)
	if err != nil {
		f.t.Fatalf("listing entries out of band: %v", err)
	}
	var extra, missing []string
	seen := map[string]bool{}
	for _, e := range got {
		seen[e] = true
		if !want[e] {
			extra = append(extra, e)
		}
	}
	for e := range want {
		if !seen[e] {
			missing = append(missing, e)
		}
	}
	if len(extra)+len(missing) > 0 {
		slices.Sort(extra)
		slices.Sort(missing)
		f.t.Errorf("storage holds unexpected entries %q and lacks %q", extra, missing)
	}
}

// list returns what List yields under prefix, by name, failing on
// duplicates.
func (f *fixture) list(prefix string) map[string]backends.Info {
	f.t.Helper()
	got := map[string]backends.Info{}
	err := f.b.List(f.ctx, prefix, func(info backends.Info) error {
		if _, dup := got[info.Name]; dup {
			f.t.Errorf("List(%q) yielded %q twice", prefix, info.Name)
		}
		got[info.Name] = info
		return nil
	})
	if err != nil {
		f.t.Fatalf("List(%q): %v", prefix, err)
	}
	return got
}

// wantListed checks List(prefix) yields exactly names, each agreeing with
// Stat.
func (f *fixture) wantListed(prefix string, names ...string) {
	f.t.Helper()
	got := f.list(prefix)
	for _, name := range names {
		info, ok := got[name]
		if !ok {
			f.t.Errorf("List(%q) lacks %q", prefix, name)
			continue
		}
		delete(got, name)
		if st := f.stat(name); !sameInfo(info, st) {
			f.t.Errorf("List(%q) yields %+v for %q, Stat says %+v", prefix, info, name, st)
		}
	}
	for name := range got {
		f.t.Errorf("List(%q) yields unexpected %q", prefix, name)
	}
}

// wantClass checks err is of class and names name.
func wantClass(t *testing.T, err, class error, name string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error for %q, want %v", name, class)
	}
	if !errors.Is(err, class) {
		t.Fatalf("got %q for %q, want class %v", err, name, class)
	}
	wantNamed(t, err, name)
}

// wantUnclassified checks err is an error a caller cannot mistake for a
// missing name or a failed condition, and names name.
func wantUnclassified(t *testing.T, err error, name string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error for %q", name)
	}
	for _, class := range []error{backends.ErrNotFound, backends.ErrConflict} {
		if errors.Is(err, class) {
			t.Fatalf("got %q for %q, which must not be %v", err, name, class)
		}
	}
	wantNamed(t, err, name)
}

func wantNamed(t *testing.T, err error, name string) {
	t.Helper()
	msg := err.Error()
	if !strings.Contains(msg, strconv.Quote(name)) && (name == "" || !strings.Contains(msg, name)) {
		t.Errorf("error %q does not name %q", msg, name)
	}
}

func describe(data []byte) string {
	if len(data) <= 16 {
		return fmt.Sprintf("%q", data)
	}
	return fmt.Sprintf("%d bytes starting %q", len(data), data[:16])
}

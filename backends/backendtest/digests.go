package backendtest

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"fmt"
	"testing"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
)

// A digest a backend reports is taken on trust as the content's (git-annex
// records a key made from it), so every one must be exactly right.

// wantDigests checks that the digests info reports, if any, are data's.
func wantDigests(t *testing.T, op string, info backends.Info, data []byte) {
	t.Helper()
	if info.SHA256 != nil {
		if sum := sha256.Sum256(data); !bytes.Equal(info.SHA256, sum[:]) {
			t.Errorf("%s(%q).SHA256 = %x, but the content's is %x", op, info.Name, info.SHA256, sum)
		}
	}
	if info.MD5 != nil {
		if sum := md5.Sum(data); !bytes.Equal(info.MD5, sum[:]) {
			t.Errorf("%s(%q).MD5 = %x, but the content's is %x", op, info.Name, info.MD5, sum)
		}
	}
}

// sameInfo reports whether what List and Stat say of one name agrees. A
// digest may be known to one and not the other (a listing may not carry
// it), but two known ones must be equal.
func sameInfo(listed, stat backends.Info) bool {
	agree := func(a, b []byte) bool { return a == nil || b == nil || bytes.Equal(a, b) }
	return listed.Name == stat.Name && listed.Size == stat.Size && listed.CID == stat.CID &&
		listed.Label == stat.Label && agree(listed.SHA256, stat.SHA256) && agree(listed.MD5, stat.MD5)
}

// testDigests stores content and writes some behind the backend's back,
// then replaces both with other content of the same size: Stat and List
// must report the digests of what is there now, or none.
func testDigests(t *testing.T, f *fixture) {
	for _, seed := range []string{"first", "second"} {
		contents := map[string][]byte{}
		for _, size := range []int{0, 1, 1000, 1<<20 + 1} {
			stored, written := fmt.Sprintf("stored/%d", size), fmt.Sprintf("written/%d", size)
			contents[stored] = content(seed+stored, size)
			contents[written] = content(seed+written, size)
			f.store(stored, contents[stored])
			f.write(written, contents[written])
		}
		for name, data := range contents {
			f.wantContent(name, data) // checks Stat's digests
		}
		for name, info := range f.list("") {
			wantDigests(t, "List", info, contents[name])
		}
	}
}

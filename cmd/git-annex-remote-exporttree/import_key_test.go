package main

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
	"github.com/exporttree/git-annex-remote-exporttree/backends/memory"
	"github.com/exporttree/git-annex-remote-exporttree/protocol"
)

// counted counts the reads of content.
type counted struct {
	backends.Backend
	reads int
}

func (c *counted) Retrieve(ctx context.Context, name string, pin backends.CID, w io.Writer) (backends.CID, error) {
	c.reads++
	return c.Backend.Retrieve(ctx, name, pin, w)
}

// vouching is a backend whose Stat reports the given digests.
type vouching struct {
	*counted
	sha256, md5 []byte
}

func (v vouching) Stat(ctx context.Context, name string) (backends.Info, error) {
	info, err := v.counted.Stat(ctx, name)
	info.SHA256, info.MD5 = v.sha256, v.md5
	return info, err
}

// md5Accepted stands for a repository without annex.securehashesonly.
func md5Accepted(context.Context) bool { return true }

// importKey answers, in order: the recorded key (an MD5 or SHA1 one only
// when git-annex accepts those), a key from a SHA-256 the storage vouches
// for, one from an MD5 (when git-annex accepts MD5 keys),
// a SHA-256 read from the content; digests only for the listed content.
func TestImportKeyChoice(t *testing.T) {
	const content = "the listed content\n"
	sha, md := sha256.Sum256([]byte(content)), md5.Sum([]byte(content))
	// Digests a fake storage vouches for: not the content's, so that the
	// key says where it came from.
	vouchedSHA, vouchedMD5 := []byte(strings.Repeat("\x11", 32)), []byte(strings.Repeat("\x22", 16))
	const shaKey = "SHA256-s19--1111111111111111111111111111111111111111111111111111111111111111"
	const md5Key = "MD5-s19--22222222222222222222222222222222"
	streamed := "SHA256-s19--" + hex.EncodeToString(sha[:])
	if got := digestKey("MD5", 19, md[:]); got != "MD5-s19--"+hex.EncodeToString(md[:]) {
		t.Fatalf("digestKey: %s", got)
	}
	for _, tc := range []struct {
		name        string
		label       string
		sha256, md5 []byte
		md5OK       bool
		changed     bool  // stored again after the listing, same size
		size        int64 // listed, when not 19
		want        string
		reads       int
	}{
		{name: "recorded key", label: "SHA256E-s19--abc.txt", sha256: vouchedSHA, md5: vouchedMD5, md5OK: true, want: "SHA256E-s19--abc.txt"},
		{name: "recorded key, other size", label: "SHA256E-s18--abc.txt", sha256: vouchedSHA, md5OK: true, want: shaKey},
		{name: "recorded MD5 key", label: "MD5E-s19--0123456789abcdef0123456789abcdef.txt", sha256: vouchedSHA, md5OK: true, want: "MD5E-s19--0123456789abcdef0123456789abcdef.txt"},
		{name: "recorded MD5 key refused by git-annex", label: "MD5E-s19--0123456789abcdef0123456789abcdef.txt", sha256: vouchedSHA, want: shaKey},
		{name: "recorded SHA1 key refused by git-annex", label: "SHA1-s19--0123456789abcdef0123456789abcdef01234567", want: streamed, reads: 1},
		{name: "recorded WORM key", label: "WORM-s19-m1--abc.txt", md5: vouchedMD5, md5OK: true, want: md5Key},
		{name: "SHA-256 before MD5", sha256: vouchedSHA, md5: vouchedMD5, md5OK: true, want: shaKey},
		{name: "MD5", md5: vouchedMD5, md5OK: true, want: md5Key},
		{name: "MD5 refused by git-annex", md5: vouchedMD5, want: streamed, reads: 1},
		{name: "short digests", sha256: vouchedSHA[:31], md5: vouchedMD5[:15], md5OK: true, want: streamed, reads: 1},
		{name: "no digest", md5OK: true, want: streamed, reads: 1},
		{name: "listed with another size", sha256: vouchedSHA, size: 20, reads: 1},
		{name: "changed since listed", sha256: vouchedSHA, md5: vouchedMD5, md5OK: true, changed: true, reads: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			b := vouching{counted: &counted{Backend: memory.New()}, sha256: tc.sha256, md5: tc.md5}
			cid, err := b.Store(ctx, "f", strings.NewReader(content), backends.StoreOptions{Size: 19, Label: tc.label})
			if err != nil {
				t.Fatal(err)
			}
			if tc.changed {
				b.Store(ctx, "f", strings.NewReader(strings.ToUpper(content)), backends.StoreOptions{Size: 19})
			}
			size := int64(19)
			if tc.size != 0 {
				size = tc.size
			}
			asked := false
			md5OK := func(context.Context) bool { asked = true; return tc.md5OK }
			key, err := importKey(ctx, &protocol.Annex{}, b, "f", size, string(cid), md5OK)
			switch {
			case tc.want == "":
				if err == nil {
					t.Fatalf("got key %q, want an error", key)
				}
				if tc.changed && !errors.Is(err, backends.ErrConflict) {
					t.Fatalf("got error %v, want a conflict", err)
				}
			case err != nil:
				t.Fatal(err)
			case key != tc.want:
				t.Errorf("key %q, want %q", key, tc.want)
			}
			if b.reads != tc.reads {
				t.Errorf("content read %d times, want %d", b.reads, tc.reads)
			}
			if insecureLabel := checksumKey(tc.label) && !secureKey(tc.label); asked && tc.md5 == nil && !insecureLabel {
				t.Error("asked whether MD5 keys are accepted without an MD5 or SHA1 key at hand")
			}
		})
	}
}

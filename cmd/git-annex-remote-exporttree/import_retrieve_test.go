package main

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
	"github.com/exporttree/git-annex-remote-exporttree/backends/memory"
	"github.com/exporttree/git-annex-remote-exporttree/protocol"
)

// After IMPORTKEY, git-annex 10.20261026 retrieves into a file named after
// the key it was answered and does not verify what arrives: content
// replaced between IMPORTKEY and RETRIEVEIMPORT (same size) must fail the
// retrieval, not land in the annex under a key it does not have.
func TestRetrieveImportAfterImportKeyChecksKey(t *testing.T) {
	ctx := t.Context()
	const content = "original\n"
	b := memory.New()
	cid, err := b.Store(ctx, "victim", strings.NewReader(content), backends.StoreOptions{Size: 9})
	if err != nil {
		t.Fatal(err)
	}
	key, err := importKey(ctx, &protocol.Annex{}, b, "victim", 9, string(cid), md5Accepted)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(content))
	if want := "SHA256-s9--" + hex.EncodeToString(sum[:]); key != want {
		t.Fatalf("key %q, want %q", key, want)
	}
	dir := t.TempDir()

	// Unchanged: retrieved.
	dest := filepath.Join(dir, escapeKey(key))
	if err := retrieveImport(ctx, &protocol.Annex{}, b, "victim", dest); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(dest); string(got) != content {
		t.Fatalf("retrieved %q", got)
	}
	os.Remove(dest)

	// Replaced with other content of the same size: refused.
	if _, err := b.Store(ctx, "victim", strings.NewReader("ORIGINAL\n"), backends.StoreOptions{Size: 9}); err != nil {
		t.Fatal(err)
	}
	err = retrieveImport(ctx, &protocol.Annex{}, b, "victim", dest)
	if !errors.Is(err, backends.ErrConflict) {
		t.Fatalf("retrieving changed content into %s: %v, want a conflict", filepath.Base(dest), err)
	}
	if _, serr := os.Stat(dest); serr == nil {
		t.Error("the destination was written")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("left in the destination's directory: %v", entries)
	}

	// An E key (extension kept) and a key of a hash this program cannot
	// compute: the first is checked, the second left to git-annex.
	ekey := "SHA256E-s9--" + hex.EncodeToString(sum[:]) + ".txt"
	if err := retrieveImport(ctx, &protocol.Annex{}, b, "victim", filepath.Join(dir, escapeKey(ekey))); !errors.Is(err, backends.ErrConflict) {
		t.Errorf("%s: %v, want a conflict", ekey, err)
	}
	if err := retrieveImport(ctx, &protocol.Annex{}, b, "victim", filepath.Join(dir, "BLAKE2B256-s9--abcd")); err != nil {
		t.Errorf("BLAKE2B256 key: %v", err)
	}
}

func TestUnescapeKey(t *testing.T) {
	for _, key := range []string{"SHA256E-s9--abc.txt", "WORM-s1-m2--a&b%c:d/e", "URL--http&c%%x"} {
		if got := unescapeKey(escapeKey(key)); got != key {
			t.Errorf("unescapeKey(escapeKey(%q)) = %q", key, got)
		}
	}
}

// A key answered to IMPORTKEY whose digest this program cannot compute
// (here the key recorded when it exported that content, of a hash Go's
// library lacks) is pinned instead: the retrieval that follows fails if the
// content changed in between.
func TestRetrieveImportAfterImportKeyPinsUncheckableKey(t *testing.T) {
	ctx := t.Context()
	const key = "BLAKE2B256E-s9--0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.txt"
	b := memory.New()
	r := &remote{backend: b}
	store := func(content, label string) backends.CID {
		cid, err := b.Store(ctx, "victim", strings.NewReader(content), backends.StoreOptions{Size: 9, Label: label})
		if err != nil {
			t.Fatal(err)
		}
		return cid
	}
	dir := t.TempDir()
	dest := filepath.Join(dir, escapeKey(key))
	for _, changed := range []bool{false, true} {
		cid := store("original\n", key)
		got, err := r.ImportKey(ctx, &protocol.Annex{}, "victim", 9, string(cid))
		if err != nil || got != key {
			t.Fatalf("ImportKey = %q, %v; want the recorded key", got, err)
		}
		if changed {
			store("ORIGINAL\n", "")
		}
		err = r.RetrieveImport(ctx, &protocol.Annex{}, "victim", dest)
		switch {
		case changed && !errors.Is(err, backends.ErrConflict):
			t.Fatalf("changed content: %v, want a conflict", err)
		case !changed && err != nil:
			t.Fatal(err)
		case !changed:
			if content, _ := os.ReadFile(dest); string(content) != "original\n" {
				t.Fatalf("retrieved %q", content)
			}
			os.Remove(dest)
		}
	}
}

// Every hash git-annex names a key after and Go computes is checked: the
// content's own digest passes, another content of the same size fails.
func TestKeyCheckHashes(t *testing.T) {
	content, other := []byte("the content\n"), []byte("THE CONTENT\n")
	for name, sum := range map[string]func([]byte) []byte{
		"MD5":      func(b []byte) []byte { s := md5.Sum(b); return s[:] },
		"SHA1":     func(b []byte) []byte { s := sha1.Sum(b); return s[:] },
		"SHA224":   func(b []byte) []byte { s := sha256.Sum224(b); return s[:] },
		"SHA256":   func(b []byte) []byte { s := sha256.Sum256(b); return s[:] },
		"SHA384":   func(b []byte) []byte { s := sha512.Sum384(b); return s[:] },
		"SHA512":   func(b []byte) []byte { s := sha512.Sum512(b); return s[:] },
		"SHA3_224": func(b []byte) []byte { s := sha3.Sum224(b); return s[:] },
		"SHA3_256": func(b []byte) []byte { s := sha3.Sum256(b); return s[:] },
		"SHA3_384": func(b []byte) []byte { s := sha3.Sum384(b); return s[:] },
		"SHA3_512": func(b []byte) []byte { s := sha3.Sum512(b); return s[:] },
	} {
		key := fmt.Sprintf("%sE-s%d--%s.txt", name, len(content), hex.EncodeToString(sum(content)))
		for _, c := range []struct {
			data []byte
			ok   bool
		}{{content, true}, {other, false}} {
			check := newKeyCheck(key)
			if check == nil {
				t.Fatalf("%s: no check", key)
			}
			check.Write(c.data)
			if err := check.verify("f"); (err == nil) != c.ok {
				t.Errorf("%s of %q: verify = %v", key, c.data, err)
			}
		}
	}
}

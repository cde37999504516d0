package main

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"strconv"
	"strings"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
)

// keyArea is the reserved top-level directory that holds key/value content
// (TRANSFER, CHECKPRESENT, REMOVE). Backends never list reserved names, and
// export refuses them, so exported trees and keys never meet.
const keyArea = ".git-annex-exporttree-keys"

// keySize returns the number of bytes a git-annex key's content has, and
// whether the key says. Keys look like BACKEND[-sSIZE][-mMTIME][-SCHUNK-CNUM]--NAME;
// a chunk key (-S and -C) names one chunk of a SIZE-byte file, so its content
// is CHUNK bytes, or the remainder for the last chunk.
func keySize(key string) (int64, bool) {
	fields, _, ok := strings.Cut(key, "--")
	if !ok {
		return 0, false
	}
	var size, chunkSize, chunkNum int64 = -1, -1, -1
	for _, f := range strings.Split(fields, "-")[1:] {
		if len(f) < 2 {
			continue
		}
		n, err := strconv.ParseInt(f[1:], 10, 64)
		if err != nil || n < 0 {
			continue
		}
		switch f[0] {
		case 's':
			size = n
		case 'S':
			chunkSize = n
		case 'C':
			chunkNum = n
		}
	}
	if size < 0 {
		return 0, false
	}
	if chunkSize > 0 && chunkNum > 0 {
		rest := size - (chunkNum-1)*chunkSize
		return max(0, min(rest, chunkSize)), true
	}
	return size, true
}

// keyDigest returns the hash and digest a checksum key names: "SHA256" and
// the hex digest for both SHA256-s10--d and SHA256E-s10--d.txt (the E
// backends add the file's extension). ok is false for other keys (WORM,
// URL, the GIT keys of files kept in git).
func keyDigest(key string) (hash, digest string, ok bool) {
	if !checksumKey(key) {
		return "", "", false
	}
	backend, _, _ := strings.Cut(key, "-")
	_, name, ok := strings.Cut(key, "--")
	digest, _, _ = strings.Cut(name, ".")
	return strings.TrimSuffix(backend, "E"), digest, ok && digest != ""
}

// keyName is where a key lives in the key area: two levels of lowercase hash
// directories (as git-annex's own directory remote lays keys out) and the key
// escaped as git-annex escapes keys used as file names. It is not cleaned
// (path.Join would turn the key ".." into a hash directory's name), so the
// backend refuses the keys "." and ".." as names.
func keyName(key string) string {
	sum := md5.Sum([]byte(key))
	h := hex.EncodeToString(sum[:])
	return keyArea + "/" + h[:3] + "/" + h[3:6] + "/" + escapeKey(key)
}

var keyEscaper = strings.NewReplacer("&", "&a", "%", "&s", ":", "&c", "/", "%")

func escapeKey(key string) string { return keyEscaper.Replace(key) }

var keyUnescaper = strings.NewReplacer("%", "/", "&a", "&", "&s", "%", "&c", ":")

// unescapeKey undoes escapeKey: the key a file named after it stands for.
func unescapeKey(base string) string { return keyUnescaper.Replace(base) }

// keyCheck hashes what is written to it, to compare with a key's digest
// and size.
type keyCheck struct {
	key    string
	h      hash.Hash
	digest string
	size   int64 // -1: the key has none
	n      int64
}

// keyHashes are the hashes of git-annex's checksum keys that Go's library
// computes, by the name keyDigest gives.
var keyHashes = map[string]func() hash.Hash{
	"MD5":      md5.New,
	"SHA1":     sha1.New,
	"SHA224":   sha256.New224,
	"SHA256":   sha256.New,
	"SHA384":   sha512.New384,
	"SHA512":   sha512.New,
	"SHA3_224": func() hash.Hash { return sha3.New224() },
	"SHA3_256": func() hash.Hash { return sha3.New256() },
	"SHA3_384": func() hash.Hash { return sha3.New384() },
	"SHA3_512": func() hash.Hash { return sha3.New512() },
}

// newKeyCheck returns a check of content against key, or nil when key is
// not a checksum key of a hash this program can compute.
func newKeyCheck(key string) *keyCheck {
	hashName, digest, ok := keyDigest(key)
	if !ok {
		return nil
	}
	fields, _, _ := strings.Cut(key, "--")
	for _, f := range strings.Split(fields, "-")[1:] {
		if strings.HasPrefix(f, "S") || strings.HasPrefix(f, "C") {
			return nil // a chunk: the digest is the whole file's
		}
	}
	newHash, ok := keyHashes[hashName]
	if !ok {
		return nil
	}
	h := newHash()
	if len(digest) != 2*h.Size() {
		return nil
	}
	size, ok := keySize(key)
	if !ok {
		size = -1
	}
	return &keyCheck{key: key, h: h, digest: strings.ToLower(digest), size: size}
}

func (c *keyCheck) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return c.h.Write(p)
}

// verify fails unless what was written is the key's content.
func (c *keyCheck) verify(name string) error {
	if (c.size >= 0 && c.n != c.size) || hex.EncodeToString(c.h.Sum(nil)) != c.digest {
		return &backends.Error{Op: "import", Name: name, Class: backends.ErrConflict,
			Err: fmt.Errorf("holds other content than %s: it changed since it was listed or imported", c.key)}
	}
	return nil
}

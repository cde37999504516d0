package remotetest

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"strings"
)

// The hash directories git-annex answers DIRHASH and DIRHASH-LOWER with
// (its Annex/DirHashes.hs, two levels): remotes that store keys the way
// git-annex's own directory remote does (rclone's, the example shell remote
// of git-annex's documentation) ask for them before every store.

// dirHashLower is "abc/def/": the first six hex digits of the MD5 of the
// key without its chunk fields.
func dirHashLower(key string) string {
	sum := md5.Sum([]byte(nonChunkKey(key)))
	h := hex.EncodeToString(sum[:3])
	return h[:3] + "/" + h[3:] + "/"
}

// dirHashMixed is "Ab/c1/", the older mixed-case hash: four characters
// drawn from the first 32-bit word of the same MD5, read little-endian.
func dirHashMixed(key string) string {
	sum := md5.Sum([]byte(nonChunkKey(key)))
	const chars = "0123456789zqjxkmvwgpfZQJXKMVWGPF"
	w := binary.LittleEndian.Uint32(sum[:4])
	// Character x takes 5 bits at bit 6x (git-annex's own quirk); the
	// pairs come out swapped.
	c := func(x int) byte { return chars[(w>>(6*x))&31] }
	return string([]byte{c(1), c(0), '/', c(3), c(2), '/'})
}

// nonChunkKey drops the chunk size and number fields (-S…, -C…) of a key:
// every chunk of a key hashes to the directory of the key itself.
func nonChunkKey(key string) string {
	fields, name, ok := strings.Cut(key, "--")
	if !ok {
		return key
	}
	parts := strings.Split(fields, "-")
	kept := parts[:1] // the backend
	for _, f := range parts[1:] {
		if !strings.HasPrefix(f, "S") && !strings.HasPrefix(f, "C") {
			kept = append(kept, f)
		}
	}
	return strings.Join(kept, "-") + "--" + name
}

package main

import (
	"crypto/md5"
	"encoding/hex"
	"strconv"
	"strings"
	"unicode/utf8"
)

// During an import git-annex retrieves content into a temporary file named
// after a key it makes from the listed size and content identifier
// (importKey in Annex/Import.hs): variety CID, key name genKeyName(cid).
// Computing that name here lets RETRIEVEIMPORT check that the destination
// was named after the identifier the content has now.

// isCIDFileName reports whether base is the name of git-annex's temporary
// for content listed with size and cid: the key CID-s<size>--<genKeyName
// cid> as a file name (keyFile escaping, see escapeKey). git-annex decodes
// cid by its locale: as UTF-8, or byte by byte (LC_ALL=C); either name is
// this cid's and no other's.
func isCIDFileName(base string, size int64, cid string) bool {
	for _, utf8Locale := range []bool{true, false} {
		if base == escapeKey("CID-s"+strconv.FormatInt(size, 10)+"--"+genKeyName(cid, utf8Locale)) {
			return true
		}
	}
	return false
}

// genKeyName is git-annex's genKeyName (Backend/Utilities.hs): s
// sanitized, or, when s is longer than a SHA-256 checksum in hex (64
// bytes), the first 31 bytes of sanitized s, "-" and the MD5 of s.
func genKeyName(s string, utf8Locale bool) string {
	const sha256Len, md5Len = 64, 32
	san := preSanitizeKeyName(s, utf8Locale)
	if len(s) <= sha256Len {
		return san
	}
	sum := md5.Sum([]byte(s))
	// git-annex's truncateFilePath keeps whole characters; san is ASCII.
	return san[:min(len(san), sha256Len-md5Len-1)] + "-" + hex.EncodeToString(sum[:])
}

// preSanitizeKeyName is git-annex's preSanitizeKeyName (Annex/Locations.hs):
// ASCII letters and digits and ". - _ / % :" stay (keyFile escapes the last
// three), ',' doubles, and any other character becomes ',' and its decimal
// code point. git-annex decodes s with GHC's round-trip decoding: a byte b
// that is not (valid UTF-8 under a UTF-8 locale, else ASCII) is the code
// point 0xDC00+b.
func preSanitizeKeyName(s string, utf8Locale bool) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := rune(s[i]), 1
		if utf8Locale {
			r, n = utf8.DecodeRuneInString(s[i:])
		}
		if r >= utf8.RuneSelf && (!utf8Locale || r == utf8.RuneError && n == 1) {
			r = 0xDC00 + rune(s[i])
		}
		i += n
		switch {
		case r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(".-_/%:", r)):
			b.WriteRune(r)
		case r == ',':
			b.WriteString(",,")
		default:
			b.WriteByte(',')
			b.WriteString(strconv.Itoa(int(r)))
		}
	}
	return b.String()
}

package main

import (
	"strings"
	"testing"
)

func TestParseCIDFileName(t *testing.T) {
	for _, tc := range []struct {
		base string
		size int64
		cid  string
		ok   bool
	}{
		{"CID-s13--s13-m1795375023417011358-i10248627", 13, "s13-m1795375023417011358-i10248627", true},
		{"CID-s0--98aefe.0.18ea7a70fe4f2c11", 0, "98aefe.0.18ea7a70fe4f2c11", true},
		{"CID-s6--odd%cid,32with,32spaces,32xxxxx-07d3c58998c2dbb0b8b2b228b727eb31", 6, "odd%cid,32with,32spaces,32xxxxx-07d3c58998c2dbb0b8b2b228b727eb31", true},
		{"SHA256E-s6--abc.txt", 0, "", false},
		{"CID-sx--abc", 0, "", false},
		{"CID-s12", 0, "", false},
	} {
		size, cid, ok := parseCIDFileName(tc.base)
		if ok != tc.ok || (ok && (size != tc.size || cid != tc.cid)) {
			t.Errorf("parseCIDFileName(%q) = %d, %q, %v; want %d, %q, %v", tc.base, size, cid, ok, tc.size, tc.cid, tc.ok)
		}
	}
}

// Names git-annex 10.20261026 gave the temporary files it imported into
// (RETRIEVEIMPORT), as its logs showed: for this program's S3 and
// directory identifiers, and for odd ones a test remote listed, under a
// UTF-8 locale and under LC_ALL=C.
func TestCIDFileName(t *testing.T) {
	for _, tc := range []struct {
		size int64
		cid  string
		name string
	}{
		// S3, unversioned: ETag and size; multipart ETag.
		{14, "e:1875e78403efe0961bf3db849fb4a0c8:14", "CID-s14--e&c1875e78403efe0961bf3db849fb4a0c8&c14"},
		{12000000, "e:d41dd414d87752c6b0ede84282b904bf-3:12000000", "CID-s12000000--e&cd41dd414d87752c6b0ede84282b904bf-3&c12000000"},
		// S3, versioned (MinIO version IDs).
		{14, "v:cc4b6cd4-6f63-47b3-9ebc-9bdbf8768435", "CID-s14--v&ccc4b6cd4-6f63-47b3-9ebc-9bdbf8768435"},
		// Directory.
		{13, "s13-m1795375023417011358-i10248627", "CID-s13--s13-m1795375023417011358-i10248627"},
		// Longer than 64 bytes: 31 bytes, then the MD5 of the identifier.
		{6, "odd/cid with spaces " + strings.Repeat("x", 300) + " s6-m1795375176529695120-i9994253",
			"CID-s6--odd%cid,32with,32spaces,32xxxxx-07d3c58998c2dbb0b8b2b228b727eb31"},
		{64, strings.Repeat("x", 64), "CID-s64--" + strings.Repeat("x", 64)},
		{65, strings.Repeat("y", 65), "CID-s65--yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy-38161025084d46d907d3b9a61a1286c9"},
		{71, "long,comma," + strings.Repeat("z", 60), "CID-s71--long,,comma,,zzzzzzzzzzzzzzzzzz-ec5b957e867a0c401eabb720ba5d73ad"},
		{13, "plain.cid-1_2", "CID-s13--plain.cid-1_2"},
		{13, "a,b c&d%e:f/g", "CID-s13--a,,b,32c,38d&se&cf%g"},
		{8, "tab\there", "CID-s8--tab,9here"},
		{8, "bad\xffbyte", "CID-s8--bad,56575byte"},
		// Non-ASCII, decoded as UTF-8 ...
		{14, "caf\u00e9 \u20ac \U0001f600", "CID-s14--caf,233,32,8364,32,128512"},
		{80, strings.Repeat("\u00e9", 40), "CID-s80--,233,233,233,233,233,233,233,23-639258863c18c505cc2183a5e4b63394"},
		{96, "ab/cd:" + strings.Repeat("\u20ac", 30), "CID-s96--ab%cd&c,8364,8364,8364,8364,8364-82dccb18eb103c9f27d79204295a8bef"},
		// ... and byte by byte (LC_ALL=C).
		{14, "caf\u00e9 \u20ac \U0001f600", "CID-s14--caf,56515,56489,32,56546,56450,56492,32,56560,56479,56472,56448"},
		{80, strings.Repeat("\u00e9", 40), "CID-s80--,56515,56489,56515,56489,56515,-639258863c18c505cc2183a5e4b63394"},
		{96, "ab/cd:" + strings.Repeat("\u20ac", 30), "CID-s96--ab%cd&c,56546,56450,56492,56546,-82dccb18eb103c9f27d79204295a8bef"},
	} {
		if !isCIDFileName(tc.name, tc.size, tc.cid) {
			t.Errorf("isCIDFileName(%q, %d, %q) = false; git-annex named it so", tc.name, tc.size, tc.cid)
		}
		if isCIDFileName(tc.name, tc.size+1, tc.cid) {
			t.Errorf("isCIDFileName(%q, %d, %q) = true for the wrong size", tc.name, tc.size+1, tc.cid)
		}
		if other := tc.cid[:len(tc.cid)-1] + "Z"; isCIDFileName(tc.name, tc.size, other) {
			t.Errorf("isCIDFileName(%q, %d, %q) = true for another identifier", tc.name, tc.size, other)
		}
	}
}

func TestChecksumKey(t *testing.T) {
	for key, want := range map[string]bool{
		"SHA256E-s6--5891b5b5.txt": true,
		"SHA1-s6--abc":             true,
		"BLAKE2B256-s1--abc":       true,
		"MD5E-s1--abc":             true,
		"WORM-s6-m17--a.txt":       false,
		"URL--http&c%%x":           false,
		"GIT--0123abcd":            false,
		"":                         false,
	} {
		if got := checksumKey(key); got != want {
			t.Errorf("checksumKey(%q) = %v, want %v", key, got, want)
		}
	}
}

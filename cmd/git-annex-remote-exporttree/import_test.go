package main

import "testing"

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

func TestPlainCID(t *testing.T) {
	for cid, want := range map[string]bool{
		"98aefe.8.18ea7a70fe4f2c11": true,
		"8.18ea7a70fe4f2c11":        true,
		"v:6b1c2f3a":                false,
		"odd/cid with spaces":       false,
		"":                          false,
	} {
		if got := plainCID(cid); got != want {
			t.Errorf("plainCID(%q) = %v, want %v", cid, got, want)
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

package remotetest

import "testing"

// The expected directories are git-annex's own, from
// git annex examinekey --format='${hashdirlower}|${hashdirmixed}\n' KEY
// (10.20230126).
func TestDirHashes(t *testing.T) {
	for _, tc := range []struct{ key, lower, mixed string }{
		{"SHA256E-s17--f4dd0b46f63a55627ad207f9458d856567f0c80a90c64c2523fe982cefb132c7.txt", "255/916/", "45/55/"},
		{"SHA256E-s1048576-S262144-C2--abc.bin", "e5c/44d/", "p5/pW/"}, // a chunk hashes as its key
		{"WORM-s3-m1700000000--ab&c%d.txt", "41d/369/", "x1/MG/"},
		{"MD5-s0--d41d8cd98f00b204e9800998ecf8427e", "d02/4e7/", "pv/Kg/"},
	} {
		if got := dirHashLower(tc.key); got != tc.lower {
			t.Errorf("DIRHASH-LOWER %s = %q, want %q", tc.key, got, tc.lower)
		}
		if got := dirHashMixed(tc.key); got != tc.mixed {
			t.Errorf("DIRHASH %s = %q, want %q", tc.key, got, tc.mixed)
		}
	}
}

func TestNonChunkKey(t *testing.T) {
	for key, want := range map[string]string{
		"SHA256E-s1048576-S262144-C2--abc.bin": "SHA256E-s1048576--abc.bin",
		"WORM-s3-m1700000000--a-S1-C2--b":      "WORM-s3-m1700000000--a-S1-C2--b", // the name is kept whole
		"no-separator":                         "no-separator",
	} {
		if got := nonChunkKey(key); got != want {
			t.Errorf("nonChunkKey(%q) = %q, want %q", key, got, want)
		}
	}
}

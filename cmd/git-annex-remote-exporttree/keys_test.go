package main

import (
	"strings"
	"testing"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
)

func TestKeySize(t *testing.T) {
	for _, tc := range []struct {
		key  string
		size int64
		ok   bool
	}{
		{"SHA256E-s6--5891b5b522d5.txt", 6, true},
		{"SHA256E-s0--e3b0c44298fc.txt", 0, true},
		{"SHA256E-s1048576--abc", 1048576, true},
		{"SHA256E-s1048576-S10485-C1--abc", 10485, true},
		{"SHA256E-s1048576-S10485-C101--abc", 1048576 - 100*10485, true},
		{"SHA256E-s100-S10-C10--abc", 10, true},
		{"WORM-s12-m1700000000--a-b--c", 12, true},
		{"GIT--0123456789abcdef0123456789abcdef01234567", 0, false},
		{"URL--http&c%%example.com%-s5", 0, false},
		{"SHA256E-sx--abc", 0, false},
		{"no-separator", 0, false},
	} {
		size, ok := keySize(tc.key)
		if size != tc.size || ok != tc.ok {
			t.Errorf("keySize(%q) = %d, %v; want %d, %v", tc.key, size, ok, tc.size, tc.ok)
		}
	}
}

func TestKeyName(t *testing.T) {
	name := keyName("URL--http&c%%example.com%a:b/c")
	if !strings.HasPrefix(name, keyArea+"/") {
		t.Fatalf("keyName outside the key area: %q", name)
	}
	parts := strings.Split(name, "/")
	if len(parts) != 4 || len(parts[1]) != 3 || len(parts[2]) != 3 {
		t.Fatalf("keyName(%q): want area/hhh/hhh/key, got %q", "URL--…", name)
	}
	if got, want := parts[3], "URL--http&ac&s&sexample.com&sa&cb%c"; got != want {
		t.Errorf("escaped key = %q, want %q", got, want)
	}
	if keyName("SHA256E-s1--a") == keyName("SHA256E-s1--b") {
		t.Error("different keys share a name")
	}
}

// A label disproves an imported key only when both are digests of one hash;
// otherwise the size decides.
func TestHoldsImported(t *testing.T) {
	const sha = "SHA256-s10--3a79bf37"
	for _, tc := range []struct {
		label string
		size  int64
		want  bool
	}{
		{"", 10, true},
		{"", 11, false},
		{sha, 10, true},
		{"SHA256E-s10--3a79bf37.txt", 10, true}, // the same digest, with an extension
		{"SHA256E-s10--0000beef.txt", 10, false},
		{"SHA256-s10--0000beef", 10, false},
		{"WORM-s10-m1--a.txt", 10, true},
		{"WORM-s10-m1--a.txt", 9, false},
		{"GIT--0123456789abcdef0123456789abcdef01234567", 10, true},
		{"MD5E-s10--d41d8cd9.txt", 10, true}, // another hash: cannot tell
		{"SHA512E-s10--0000beef.txt", 10, true},
	} {
		info := backends.Info{Label: tc.label, Size: tc.size}
		if got := holdsImported(info, sha); got != tc.want {
			t.Errorf("holdsImported(label %q, size %d, %s) = %v, want %v", tc.label, tc.size, sha, got, tc.want)
		}
	}
}

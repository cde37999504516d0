package backends_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
)

func TestValidName(t *testing.T) {
	valid := []string{"a", "a/b/c", "with space", "trailing ", "tab\t", "\xff\xfe", "-x", "100%", "[x]", "...", ".x", "a./b", backends.ReservedPrefix + "-keys/k"}
	for _, name := range valid {
		if err := backends.ValidName(name); err != nil {
			t.Errorf("ValidName(%q) = %v, want nil", name, err)
		}
	}
	invalid := []string{"", "/", "/abs", "../x", "a/../b", "..", ".", "./a", "a/.", "a//b", "a/", "a\x00b"}
	for _, name := range invalid {
		err := backends.ValidName(name)
		if !errors.Is(err, backends.ErrRefused) {
			t.Errorf("ValidName(%q) = %v, want class refused", name, err)
			continue
		}
		if !strings.Contains(err.Error(), strconv.Quote(name)) {
			t.Errorf("ValidName(%q) = %q, which does not name it", name, err)
		}
	}
}

func TestReserved(t *testing.T) {
	tests := map[string]bool{
		"a":                               false,
		"a/b":                             false,
		".git-annex-tmp-content-x":        false,
		"x.git-annex-exporttree":          false,
		".git-annex-exporttree":           true,
		".git-annex-exporttree-keys/k":    true,
		"a/.git-annex-exporttree-tmp-0/b": true,
	}
	for name, want := range tests {
		if got := backends.Reserved(name); got != want {
			t.Errorf("Reserved(%q) = %v, want %v", name, got, want)
		}
	}
}

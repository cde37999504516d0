package s3

import (
	"net/url"
	"strings"
	"testing"
)

func TestPublicURL(t *testing.T) {
	for _, tc := range []struct {
		prefix, base, name, want string
	}{
		{"", "https://bucket.example.com/", "a/b.txt", "https://bucket.example.com/a/b.txt"},
		{"", "https://bucket.example.com", "a/b.txt", "https://bucket.example.com/a/b.txt"},
		{"tree/", "https://example.com/bucket/", "f", "https://example.com/bucket/tree/f"},
		{"", "https://h/", "a b+c%d?e#f&g=h;i,j:k@l$m'n", "https://h/a%20b%2Bc%25d%3Fe%23f%26g%3Dh%3Bi%2Cj%3Ak%40l%24m%27n"},
		{"", "https://h/", "dir.x/-_.~", "https://h/dir.x/-_.~"},
		{"", "https://h/", "caf\u00e9/\U0001F600", "https://h/caf%C3%A9/%F0%9F%98%80"},
		{"", "https://h/", "back\\slash\ttab", "https://h/back%5Cslash%09tab"},
		{"../", "https://h/", "x", "https://h/%2E%2E/x"},
		{"", "", "f", ""},                // no public URL configured
		{"", "https://h/", "\xff", ""},   // no S3 key
		{"", "https://h/", "a/../b", ""}, // no export name
	} {
		b := &Backend{prefix: tc.prefix}
		got := b.PublicURL(tc.base, tc.name)
		if got != tc.want {
			t.Errorf("prefix %q: PublicURL(%q, %q) = %q, want %q", tc.prefix, tc.base, tc.name, got, tc.want)
			continue
		}
		if got == "" {
			continue
		}
		// Any URL parser gets the key back from the path.
		u, err := url.Parse(got)
		if err != nil {
			t.Errorf("%q does not parse: %v", got, err)
			continue
		}
		base, _ := url.Parse(tc.base)
		if key := strings.TrimPrefix(u.Path, strings.TrimSuffix(base.Path, "/")+"/"); key != tc.prefix+tc.name {
			t.Errorf("%q has path %q, which holds key %q, want %q", got, u.Path, key, tc.prefix+tc.name)
		}
	}
}

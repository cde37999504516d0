package main

import "testing"

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"1048576": 1048576, "5MiB": 5 << 20, "1GiB": 1 << 30, "100 kb": 100000, "1GB": 1e9, "64mib": 64 << 20, "2.5KiB": 2560,
	} {
		got, err := parseSize("partsize", in)
		if err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "MiB", "-1", "5 parsecs", "1e3"} {
		if _, err := parseSize("partsize", bad); err == nil {
			t.Errorf("parseSize(%q) succeeded, want an error", bad)
		}
	}
}

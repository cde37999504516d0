package main

import (
	"fmt"
	"strconv"
	"strings"
)

// parseSize parses a size as git-annex writes them: "5MiB", "1GB", "100 kb",
// "1048576". Binary (KiB) and decimal (kB) units are both accepted.
func parseSize(name, v string) (int64, error) {
	s := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(v), " ", ""))
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	num, unit := s[:i], strings.TrimSuffix(s[i:], "s")
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("%s=%s: not a size (write e.g. 64MiB)", name, v)
	}
	mult, ok := sizeUnits[unit]
	if !ok {
		return 0, fmt.Errorf("%s=%s: unknown unit %q (use B, kB, KiB, MB, MiB, GB, GiB, TB, TiB)", name, v, s[i:])
	}
	return int64(f * float64(mult)), nil
}

var sizeUnits = map[string]int64{
	"": 1, "b": 1, "byte": 1,
	"k": 1000, "kb": 1000, "kib": 1 << 10,
	"m": 1000 * 1000, "mb": 1000 * 1000, "mib": 1 << 20,
	"g": 1000 * 1000 * 1000, "gb": 1000 * 1000 * 1000, "gib": 1 << 30,
	"t": 1000 * 1000 * 1000 * 1000, "tb": 1000 * 1000 * 1000 * 1000, "tib": 1 << 40,
}

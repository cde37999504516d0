package testscript_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// requireTools reports whether a missing tool must fail the tests rather
// than skip them (scripts/test sets it, after installing every tool).
func requireTools() bool { return os.Getenv("EXPORTTREE_REQUIRE_TOOLS") == "1" }

// missingTool skips or fails t for a tool that cannot be found.
func missingTool(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if requireTools() {
		t.Fatal(msg + " (EXPORTTREE_REQUIRE_TOOLS=1)")
	}
	t.Skip(msg)
}

// annexVersion is one git-annex the end-to-end scripts run against.
type annexVersion struct {
	name    string // "bookworm" or "sid": a script condition
	binDir  string // put first on PATH
	version string // as `git-annex version` reports it
}

// minimum versions: bookworm's is the oldest supported; sid's must have
// the import interface for external remotes.
var annexVersions = []struct {
	name, env, fallback, min string
}{
	{"bookworm", "EXPORTTREE_GIT_ANNEX_BOOKWORM", "/usr/bin", "10.20230126"},
	{"sid", "EXPORTTREE_GIT_ANNEX_SID_BIN", sidCacheBin(), "10.20260717"},
}

func sidCacheBin() string {
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache")
	}
	return filepath.Join(cache, "git-annex-remote-exporttree", "git-annex-sid", "bin")
}

var versionLine = regexp.MustCompile(`git-annex version: (\S+)`)

// findAnnex locates one git-annex version, or skips/fails.
func findAnnex(t *testing.T, name string) annexVersion {
	t.Helper()
	for _, v := range annexVersions {
		if v.name != name {
			continue
		}
		dir := os.Getenv(v.env)
		if dir == "" {
			dir = v.fallback
		}
		bin := filepath.Join(dir, "git-annex")
		out, err := exec.Command(bin, "version", "--raw").Output()
		if err != nil {
			missingTool(t, "git-annex %s not found at %s (set %s): %v", v.name, bin, v.env, err)
		}
		got := strings.TrimSpace(string(out))
		if m := versionLine.FindStringSubmatch(got); m != nil {
			got = m[1]
		}
		if compareVersions(got, v.min) < 0 {
			missingTool(t, "git-annex at %s is %s, want %s (%s) or newer", bin, got, v.min, v.name)
		}
		return annexVersion{name: v.name, binDir: dir, version: got}
	}
	t.Fatalf("unknown git-annex version %q", name)
	return annexVersion{}
}

// compareVersions compares git-annex versions like 10.20230126 (the Debian
// revision, after '-', is ignored).
func compareVersions(a, b string) int {
	a, _, _ = strings.Cut(a, "-")
	b, _, _ = strings.Cut(b, "-")
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) || i < len(bs); i++ {
		var x, y int
		if i < len(as) {
			fmt.Sscan(as[i], &x)
		}
		if i < len(bs) {
			fmt.Sscan(bs[i], &y)
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

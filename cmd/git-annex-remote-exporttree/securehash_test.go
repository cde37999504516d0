package main

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// annex.securehashesonly is found in git config, which takes precedence,
// and in the git-annex branch; when git cannot tell, MD5 keys are not
// risked.
func TestSecureHashesOnly(t *testing.T) {
	if _, err := exec.LookPath("git-annex"); err != nil {
		t.Skip("git-annex is not installed")
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	for _, v := range []string{"GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"} {
		t.Setenv(v, "Test")
	}
	for _, v := range []string{"GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"} {
		t.Setenv(v, "test@example.invalid")
	}
	repo := t.TempDir()
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = repo
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	want := func(step string, secure bool) {
		t.Helper()
		if got := secureHashesOnly(t.Context(), repo); got != secure {
			t.Errorf("%s: secureHashesOnly = %v, want %v", step, got, secure)
		}
	}
	want("not a repository", true)
	run("init", "-q")
	want("not a git-annex repository", true)
	run("annex", "init", "-q", "test")
	want("unset", false)
	run("config", "annex.securehashesonly", "true")
	want("git config true", true)
	run("config", "annex.securehashesonly", "false")
	want("git config false", false)
	run("annex", "config", "--set", "annex.securehashesonly", "true")
	run("config", "annex.securehashesonly", "false")
	want("git config false over the branch's true", false)
	run("config", "--unset", "annex.securehashesonly")
	want("set in the git-annex branch", true)
}

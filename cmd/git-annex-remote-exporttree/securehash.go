package main

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"sync"
)

// git-annex refuses keys that are not cryptographically secure (MD5 among
// them) when annex.securehashesonly is set; an MD5 key answered to
// IMPORTKEY would then fail the import of its file, every time.

// md5Keys remembers for the process (which serves one repository) whether
// MD5 keys may answer IMPORTKEY.
var md5Keys struct {
	once    sync.Once
	allowed bool
}

func md5KeysAllowed(ctx context.Context) bool {
	md5Keys.once.Do(func() { md5Keys.allowed = !secureHashesOnly(ctx, "") })
	return md5Keys.allowed
}

// secureHashesOnly reports whether annex.securehashesonly is set in the
// repository at dir ("" for the current directory, where git-annex runs
// this program, with GIT_DIR set): in git config, which takes precedence,
// else in the git-annex branch (git annex config). When git cannot tell,
// it answers true, which costs only a read of the content.
func secureHashesOnly(ctx context.Context, dir string) bool {
	git := func(args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, "git", args...)
		cmd.Dir = dir
		out, err := cmd.Output()
		return strings.TrimSpace(string(out)), err
	}
	v, err := git("config", "--type=bool", "--get", "annex.securehashesonly")
	var exit *exec.ExitError
	switch {
	case err == nil:
		return v != "false"
	case !errors.As(err, &exit) || exit.ExitCode() != 1: // 1: not set
		return true
	}
	v, err = git("annex", "config", "--get", "annex.securehashesonly")
	if err != nil {
		return true
	}
	switch strings.ToLower(v) {
	case "", "false", "no", "off", "0":
		return false
	}
	return true
}

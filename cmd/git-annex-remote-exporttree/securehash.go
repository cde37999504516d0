package main

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"sync"
)

// git-annex refuses keys that are not cryptographically secure (MD5 and
// SHA1) when annex.securehashesonly is set; such a key answered to
// IMPORTKEY would then fail the import of its file, every time.

// insecureKeys remembers for the process (which serves one repository)
// whether MD5 and SHA1 keys may answer IMPORTKEY.
var insecureKeys struct {
	once    sync.Once
	allowed bool
}

func insecureKeysAllowed(ctx context.Context) bool {
	insecureKeys.once.Do(func() { insecureKeys.allowed = !secureHashesOnly(ctx, "") })
	return insecureKeys.allowed
}

// secureKey reports whether key's backend is a hash git-annex counts as
// cryptographically secure: any checksum but MD5 and SHA1.
func secureKey(key string) bool {
	backend, _, _ := strings.Cut(key, "-")
	return checksumKey(key) && !strings.HasPrefix(backend, "MD5") && backend != "SHA1" && backend != "SHA1E"
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

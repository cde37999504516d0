package main

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// writeRandom writes size pseudo-random bytes to path: incompressible, and
// distinct for each seed, so every file is its own git-annex key.
func writeRandom(path string, size int64, seed uint64) error {
	var s [32]byte
	binary.LittleEndian.PutUint64(s[:], seed)
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.CopyN(f, rand.NewChaCha8(s), size); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// treeName is where the i-th of many files goes: 100 to a directory, as in
// a real tree.
func treeName(i int) string { return fmt.Sprintf("d%03d/f%05d.bin", i/100, i) }

// annexFile is one annexed file: its name in the tree, its key, and the
// path of its content in the annex (what git-annex hands a remote).
type annexFile struct{ name, key, path string }

// repo is a git-annex repository whose main branch holds files.
type repo struct {
	dir   string
	files []annexFile
	size  int64 // bytes of content in all
}

// makeRepo makes a repository of n random files of size bytes each.
func (b *bench) makeRepo(name string, n int, size int64, seed uint64) (*repo, error) {
	r := &repo{dir: filepath.Join(b.work, name), size: int64(n) * size}
	logf("making %s: %d files of %s", name, n, formatBytes(size))
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		return nil, err
	}
	if _, err := b.git(r.dir, nil, "init", "-q", "-b", "main"); err != nil {
		return nil, err
	}
	if _, err := b.git(r.dir, nil, "annex", "init", "-q", "bench"); err != nil {
		return nil, err
	}
	// git-annex's S3 remote refuses loopback addresses unless allowed.
	if _, err := b.git(r.dir, nil, "config", "annex.security.allowed-ip-addresses", "127.0.0.1"); err != nil {
		return nil, err
	}
	for i := range n {
		p := filepath.Join(r.dir, treeName(i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, err
		}
		if err := writeRandom(p, size, seed+uint64(i)); err != nil {
			return nil, err
		}
	}
	if _, err := b.git(r.dir, nil, "annex", "add", "-q", "."); err != nil {
		return nil, err
	}
	if _, err := b.git(r.dir, nil, "commit", "-q", "-m", "benchmark data"); err != nil {
		return nil, err
	}
	out, err := b.git(r.dir, nil, "annex", "find", "--format=${key}\t${file}\n")
	if err != nil {
		return nil, err
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		key, file, ok := strings.Cut(line, "\t")
		if !ok {
			return nil, fmt.Errorf("git annex find: unexpected line %q", line)
		}
		content, err := filepath.EvalSymlinks(filepath.Join(r.dir, file))
		if err != nil {
			return nil, err
		}
		r.files = append(r.files, annexFile{name: file, key: key, path: content})
	}
	if len(r.files) != n {
		return nil, fmt.Errorf("%s: git annex find lists %d files, want %d", name, len(r.files), n)
	}
	return r, nil
}

// git runs git in dir with the benchmark's environment plus extra.
func (b *bench) git(dir string, extra []string, args ...string) ([]byte, error) {
	out, _, err := b.gitState(dir, extra, args...)
	return out, err
}

// gitState is git that also returns how the process ended: its CPU time
// includes every process it waited for, git-annex and the remotes with it.
func (b *bench) gitState(dir string, extra []string, args ...string) ([]byte, *os.ProcessState, error) {
	cmd := exec.CommandContext(b.ctx, "git", args...)
	// git runs git-annex as its child and passes a SIGTERM on to it;
	// killing git would leave git-annex running, holding the output
	// this waits for.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	// Should git not end on SIGTERM, it is killed after this.
	cmd.WaitDelay = 10 * time.Second
	cmd.Dir = dir
	cmd.Env = append(b.env(), extra...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, cmd.ProcessState, fmt.Errorf("git %s: %v\n%s", strings.Join(args, " "), err, tail(out, 2000))
	}
	return out, cmd.ProcessState, nil
}

// env is the environment of git-annex: its own HOME with a git identity,
// the chosen git-annex and the wrapper first on PATH, MinIO's credentials
// for the S3 remotes, and what the wrapper needs.
func (b *bench) env() []string {
	home := filepath.Join(b.work, "home")
	if _, err := os.Stat(home); err != nil {
		os.MkdirAll(home, 0o755)
		os.WriteFile(filepath.Join(home, ".gitconfig"),
			[]byte("[user]\n\tname = bench\n\temail = bench@example.invalid\n[init]\n\tdefaultBranch = main\n"), 0o644)
	}
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "GIT_"), strings.HasPrefix(name, "AWS_"), strings.HasPrefix(name, "EXPORTTREE_BENCH_"),
			name == "HOME", name == "PATH", name == "XDG_CONFIG_HOME", !measuredAsIs(name):
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"HOME="+home,
		"PATH="+filepath.Join(b.work, "path")+":"+b.annex+":"+os.Getenv("PATH"),
		"AWS_ACCESS_KEY_ID="+b.s3.srv.AccessKey,
		"AWS_SECRET_ACCESS_KEY="+b.s3.srv.SecretKey,
		envReal+"="+b.prog,
		envRSSLog+"="+b.rssLog(),
	)
}

// measuredAsIs reports whether the user's environment variable name may
// reach what is measured: the program's own settings and the Go runtime's
// (GOGC, GOMEMLIMIT, ...) would change what the benchmark measures, which
// is the program as installed, with its defaults.
func measuredAsIs(name string) bool {
	switch name {
	case "GOGC", "GOMEMLIMIT", "GODEBUG", "GOMAXPROCS":
		return false
	}
	return !strings.HasPrefix(name, "GIT_ANNEX_REMOTE_EXPORTTREE_")
}

func (b *bench) rssLog() string { return filepath.Join(b.work, "rss.log") }

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

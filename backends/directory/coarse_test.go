package directory_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exporttree/git-annex-remote-exporttree/backends/backendtest"
	"github.com/exporttree/git-annex-remote-exporttree/backends/directory"
)

// coarseDirEnv names, in the test binary run by TestConformanceCoarseTimestamps,
// the directory where the coarse filesystem is mounted.
const coarseDirEnv = "EXPORTTREE_TEST_COARSE_DIR"

// mountFailed is the exit status of the shell when the mount fails.
const mountFailed = 97

// TestConformanceCoarseTimestamps runs the conformance suite on ext4 with
// 128-byte inodes, which keeps whole seconds (as FAT keeps 2 s and exFAT
// 10 ms): a write by another program in the second of a store must still
// change the CID. The filesystem is a loop device mounted in a mount
// namespace of the test binary's own, which needs root; elsewhere the test
// skips and says why.
func TestConformanceCoarseTimestamps(t *testing.T) {
	if dir := os.Getenv(coarseDirEnv); dir != "" {
		t.Run("inodes", func(t *testing.T) {
			backendtest.RunConformanceTests(t, newHarnessIn(dir, directory.Options{}))
		})
		t.Run("ignoreinodes", func(t *testing.T) {
			backendtest.RunConformanceTests(t, newHarnessIn(dir, directory.Options{IgnoreInodes: true}))
		})
		return
	}
	mkfs, err := exec.LookPath("mkfs.ext4")
	if err != nil {
		msg := fmt.Sprintf("no mkfs.ext4 (e2fsprogs), so filesystems with coarse timestamps are not tested: %v", err)
		if os.Getenv("EXPORTTREE_REQUIRE_TOOLS") == "1" {
			t.Fatal(msg + " (EXPORTTREE_REQUIRE_TOOLS=1)")
		}
		t.Skip(msg)
	}
	tmp := t.TempDir()
	img, mnt := filepath.Join(tmp, "coarse.img"), filepath.Join(tmp, "mnt")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(img, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, 64<<20); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(mkfs, "-q", "-F", "-I", "128", img).CombinedOutput(); err != nil {
		t.Fatalf("mkfs.ext4: %v: %s", err, out)
	}
	// The mount lives and dies with the namespace: nothing to unmount,
	// and the loop device is freed (autoclear) when the test binary exits.
	script := `mount -o loop "$1" "$2" || exit 97; exec "$3" -test.run='^TestConformanceCoarseTimestamps$' -test.count=1`
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", img, mnt, os.Args[0])
	cmd.Env = append(os.Environ(), coarseDirEnv+"="+mnt)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit) && exit.ExitCode() == mountFailed,
		err != nil && strings.HasPrefix(string(out), "unshare:"):
		t.Skipf("cannot mount a loop device in a mount namespace here (needs root), so filesystems with coarse timestamps are not tested: %v: %s", err, strings.TrimSpace(string(out)))
	case err != nil:
		t.Fatalf("the conformance suite on a filesystem with 1-second timestamps: %v\n%s", err, out)
	}
}

package testscript_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/exporttree/git-annex-remote-exporttree/backends/s3/s3test"
	"github.com/exporttree/git-annex-remote-exporttree/protocol/remotetest"
)

// maxRSS is the peak resident memory issue 5 allows the program, whatever
// the file size.
const maxRSS = 64 << 20

// TestMemoryBound stores a file many parts long to S3, where the program
// holds most memory (Parallelism buffers of PartSize), and reads the
// program's peak RSS before it ends: under maxRSS because its garbage
// collector's limit follows the buffers in use (cmd/…/memory.go). At Go's
// default pace without that limit it is not.
func TestMemoryBound(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("peak RSS is read from /proc/PID/status")
	}
	if os.Getenv("EXPORTTREE_REMOTE_BIN") != "" {
		t.Skip("a property of this program, not of any remote")
	}
	srv := s3test.Shared(t)
	bucket := srv.NewBucket(t, false)

	// Without the limit a 1 GiB store peaks near 80 MiB, a 128 MiB one
	// under 60: the heap grows with the garbage of many parts.
	const size = 768 << 20
	file, key := bigFile(t, size)

	cmd := exec.Command(filepath.Join(remoteBinDir, "git-annex-remote-exporttree"))
	// The program's own memory settings, whatever the test's environment.
	cmd.Env = append(os.Environ(), "GOMEMLIMIT=", "GOGC=")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	s, err := remotetest.Start(cmd, remotetest.Options{
		Config: map[string]string{"backend": "s3", "endpoint": srv.Endpoint, "bucket": bucket},
		Creds:  map[string][2]string{"s3creds": {srv.AccessKey, srv.SecretKey}},
		UUID:   "00000000-memory-test", Timeout: time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Handshake(); err != nil {
		t.Fatalf("handshake: %v\nstderr: %s", err, stderr.String())
	}
	for _, l := range []string{"EXPORTSUPPORTED", "PREPARE"} {
		if got, err := s.Request(l); got != l+"-SUCCESS" {
			t.Fatalf("%s: %q, %v\nstderr: %s", l, got, err, stderr.String())
		}
	}
	s.Send("EXPORT big")
	if got, err := s.Request("TRANSFEREXPORT STORE " + key + " " + file); got != "TRANSFER-SUCCESS STORE "+key {
		t.Fatalf("store: %q, %v\nstderr: %s", got, err, stderr.String())
	}
	peak, err := peakRSS(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("peak RSS storing %d MiB: %.1f MiB", size>>20, float64(peak)/(1<<20))
	if peak >= maxRSS {
		t.Errorf("peak RSS %.1f MiB storing %d MiB to S3, want under %d MiB",
			float64(peak)/(1<<20), size>>20, maxRSS>>20)
	}
}

// peakRSS reads a process's peak resident memory (VmHWM), in bytes.
func peakRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kib, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kib << 10, err
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}

// bigFile writes size pseudo-random bytes (incompressible, the same every
// run) to a file, a chunk at a time, and returns it with its key.
func bigFile(t *testing.T, size int) (file, key string) {
	file = filepath.Join(t.TempDir(), "big")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	h := sha256.New()
	chunk := make([]byte, 8<<20)
	for written := 0; written < size; written += len(chunk) {
		for i := 0; i < len(chunk); i += 8 {
			binary.LittleEndian.PutUint64(chunk[i:], rng.Uint64())
		}
		h.Write(chunk)
		if _, err := f.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return file, fmt.Sprintf("SHA256E-s%d--%x", size, h.Sum(nil))
}

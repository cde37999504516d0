package testscript_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/exporttree/git-annex-remote-exporttree/protocol/remotetest"
)

// fullDirSize is the size of the tmpfs the directory export fills.
const fullDirSize = 1 << 20

// testFullDirectory exports into a directory that fills up: a tmpfs of
// 1 MiB, mounted in a user and mount namespace of the program's own
// (unshare), where the machine allows it. The store that does not fit
// fails with a reason that says so, leaves no partial file and no
// temporary, and a replacement that does not fit leaves the old content in
// place; once removals make room, stores succeed again.
func testFullDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "small")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	mount := fmt.Sprintf(`mount -t tmpfs -o size=%d tmpfs "$1"`, fullDirSize)
	unshare := []string{"--user", "--map-root-user", "--mount", "sh", "-c"}
	if _, err := exec.LookPath("unshare"); err != nil {
		missingTool(t, "unshare (util-linux) is needed to mount a size-limited tmpfs: %v", err)
	}
	if out, err := exec.Command("unshare", append(unshare, mount, "sh", dir)...).CombinedOutput(); err != nil {
		// A kernel or container that forbids user namespaces is no
		// missing tool: skip even with EXPORTTREE_REQUIRE_TOOLS=1.
		t.Skipf("cannot mount a size-limited tmpfs here, so a full directory is not tested: unshare %s: %v: %s",
			strings.Join(unshare, " "), err, bytes.TrimSpace(out))
	}
	bin := filepath.Join(remoteBinDir, "git-annex-remote-exporttree")
	// unshare and sh exec the program: it keeps their process ID.
	cmd := exec.Command("unshare", append(unshare, mount+` && exec "$2"`, "sh", dir, bin)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	s, err := remotetest.Start(cmd, remotetest.Options{Config: map[string]string{"directory": dir}, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// The tmpfs exists only in the program's mount namespace.
	view := fmt.Sprintf("/proc/%d/root%s", cmd.Process.Pid, dir)
	request := func(line string) string {
		t.Helper()
		got, err := s.Request(line)
		if err != nil {
			t.Fatalf("%s: %v\nstderr: %s", line, err, stderr.String())
		}
		return got
	}
	if _, err := s.Handshake(); err != nil {
		t.Fatalf("handshake: %v\nstderr: %s", err, stderr.String())
	}
	for _, l := range []string{"EXPORTSUPPORTED", "PREPARE"} {
		if got := request(l); got != l+"-SUCCESS" {
			t.Fatalf("%s: %q", l, got)
		}
	}
	files := t.TempDir()
	n := 0
	store := func(name string, size int) (reply, key string) {
		t.Helper()
		n++
		data := bytes.Repeat([]byte{byte(n)}, size)
		file := filepath.Join(files, fmt.Sprint(n))
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		key = annexKey(data)
		s.Send("EXPORT " + name)
		return request("TRANSFEREXPORT STORE " + key + " " + file), key
	}
	want := map[string]digest{}
	keys := map[string]string{}
	stored := func(name string, size int) bool {
		t.Helper()
		reply, key := store(name, size)
		if reply != "TRANSFER-SUCCESS STORE "+key {
			return false
		}
		want[name], keys[name] = digestOf(bytes.Repeat([]byte{byte(n)}, size)), key
		return true
	}
	// full checks a store that does not fit.
	full := func(name string, size int) {
		t.Helper()
		reply, key := store(name, size)
		why, failed := strings.CutPrefix(reply, "TRANSFER-FAILURE STORE "+key+" ")
		if !failed || !strings.Contains(why, "space") {
			t.Fatalf("storing %d bytes as %q in a full directory: %q, want TRANSFER-FAILURE saying there is no space", size, name, reply)
		}
		t.Logf("storing %q in a full directory: %s", name, why)
		got, reserved, _ := walkExport(t, view)
		if len(reserved) > 0 {
			t.Errorf("after the failed store of %q, the program left %q", name, reserved)
		}
		for name, data := range got {
			if w, ok := want[name]; !ok || digestOf(data) != w {
				t.Errorf("after the failed store, %q holds %d bytes, not its last stored content", name, len(data))
			}
		}
		for name := range want {
			if _, ok := got[name]; !ok {
				t.Errorf("after the failed store, %q is gone", name)
			}
		}
	}

	if !stored("keep.txt", 100<<10) {
		t.Fatalf("storing 100 KiB in an empty tmpfs of %d bytes failed\nstderr: %s", fullDirSize, stderr.String())
	}
	fills := 0
	for ; ; fills++ {
		name := fmt.Sprintf("fill/%d.bin", fills)
		if fills == 10 {
			t.Fatalf("%d stores of 200 KiB fit in a tmpfs of %d bytes", fills, fullDirSize)
		}
		if !stored(name, 200<<10) {
			full(name, 200<<10) // the same again, to see why
			break
		}
	}
	full("keep.txt", 600<<10) // a replacement that does not fit
	for i := range fills {
		name := fmt.Sprintf("fill/%d.bin", i)
		s.Send("EXPORT " + name)
		if got := request("REMOVEEXPORT " + keys[name]); got != "REMOVE-SUCCESS "+keys[name] {
			t.Fatalf("removing %q: %q", name, got)
		}
		delete(want, name)
	}
	if !stored("keep.txt", 600<<10) {
		t.Fatalf("storing 600 KiB after removals made room failed\nstderr: %s", stderr.String())
	}
	got, reserved, empty := walkExport(t, view)
	if len(got) != 1 || digestOf(got["keep.txt"]) != want["keep.txt"] || len(reserved)+len(empty) > 0 {
		t.Errorf("after making room: holds %d files (keep.txt with its new content: %v), left %q and empty directories %q; want keep.txt only",
			len(got), digestOf(got["keep.txt"]) == want["keep.txt"], reserved, empty)
	}
	t.Logf("%d stores of 200 KiB fitted in %d bytes; the next failed cleanly, as did a replacement; after removals a store succeeded", fills, fullDirSize)
}

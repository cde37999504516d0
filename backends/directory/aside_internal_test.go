package directory

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
)

// killWhileAside stores name, moves it aside as a conditional remove does,
// and drops everything the process held, as SIGKILL would: the flocks, the
// session file and the root. It returns the root.
func killWhileAside(t *testing.T, name string) string {
	t.Helper()
	root := t.TempDir()
	b, err := Open(root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	cid, err := b.Store(t.Context(), name, strings.NewReader("precious"), backends.StoreOptions{Size: 8})
	if err != nil {
		t.Fatal(err)
	}
	d, err := b.openDir("")
	if err != nil {
		t.Fatal(err)
	}
	a, err := b.moveAside("remove", name, d, name, cid)
	if err != nil {
		t.Fatal(err)
	}
	a.lock.Close()
	d.close()
	b.session.file.Close()
	b.rootDir.Close()
	b.root.Close()
	return root
}

// A process killed while a file is aside: the next sweep puts it back under
// its name, even a name too long to be part of the aside file's (NAME_MAX
// is 255 bytes; 100 "é" are 200), and the file keeps no trace of it.
func TestKilledWhileAsideNamesComeBack(t *testing.T) {
	for _, name := range []string{"short.txt", strings.Repeat("é", 100), strings.Repeat("x", 255)} {
		t.Run(fmt.Sprintf("%d bytes", len(name)), func(t *testing.T) {
			root := killWhileAside(t, name)
			next, err := Open(root, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer next.Close()
			if err := next.Sweep(t.Context()); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(filepath.Join(root, name))
			if err != nil || string(data) != "precious" {
				entries, _ := os.ReadDir(root)
				t.Fatalf("%d-byte name after the sweep: %q, %v; root holds %v", len(name), data, err, entries)
			}
			f, err := os.Open(filepath.Join(root, name))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if origin := recordedOrigin(int(f.Fd())); origin != "" {
				t.Errorf("the file put back still records %q", origin)
			}
		})
	}
}

// When a dead operation's aside file cannot be locked for a reason other
// than a live lock (a full descriptor table), the sweep fails and keeps the
// dead session, so that the next sweep looks again and puts the file back.
func TestSweepKeepsSessionWhenAsideLockFails(t *testing.T) {
	root := killWhileAside(t, "f")
	next, err := Open(root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer next.Close()
	errFull := errors.New("too many open files")
	testHookLockAside = func(*os.File) error { return errFull }
	err = next.Sweep(t.Context())
	testHookLockAside = nil
	if !errors.Is(err, errFull) {
		t.Fatalf("Sweep = %v, want %v", err, errFull)
	}
	if err := next.Sweep(t.Context()); err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(filepath.Join(root, "f")); err != nil || string(data) != "precious" {
		t.Fatalf("f after the second sweep: %q, %v", data, err)
	}
}

// Another writer that replaces the file between moveAside's check and its
// move: the moved file is checked again, so a conditional remove, store or
// rename fails as a conflict and the replacement stays in place.
func TestReplacedBeforeTheMoveAside(t *testing.T) {
	for _, op := range []string{"remove", "store", "rename"} {
		t.Run(op, func(t *testing.T) {
			root, b := openTemp(t, Options{})
			ctx := t.Context()
			cid, err := b.Store(ctx, "f", strings.NewReader("version 1"), backends.StoreOptions{Size: 9})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := b.Store(ctx, "src", strings.NewReader("renamed!!"), backends.StoreOptions{Size: 9}); err != nil {
				t.Fatal(err)
			}
			testHookBeforeAside = func(d *dir, base string) {
				testHookBeforeAside = nil
				// Same size, a new inode: as another program's rewrite.
				p := filepath.Join(root, base)
				if err := os.WriteFile(p+".new", []byte("VERSION 2"), 0o666); err != nil {
					t.Error(err)
				}
				if err := os.Rename(p+".new", p); err != nil {
					t.Error(err)
				}
			}
			defer func() { testHookBeforeAside = nil }()
			switch op {
			case "remove":
				err = b.Remove(ctx, "f", backends.Matches(cid))
			case "store":
				_, err = b.Store(ctx, "f", strings.NewReader("version 3"), backends.StoreOptions{Size: 9, If: backends.Matches(cid)})
			case "rename":
				err = b.Rename(ctx, "src", "f", backends.Unconditional, backends.Matches(cid))
			}
			if !errors.Is(err, backends.ErrConflict) {
				t.Errorf("%s = %v, want a conflict", op, err)
			}
			if data, err := os.ReadFile(filepath.Join(root, "f")); err != nil || string(data) != "VERSION 2" {
				t.Errorf("f holds %q, %v; want the other writer's", data, err)
			}
		})
	}
}

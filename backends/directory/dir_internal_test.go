package directory

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
	"golang.org/x/sys/unix"
)

// Stat reads labels without opening files where the kernel has getxattrat
// and by opening them elsewhere; both ways say the same.
func TestStatWithAndWithoutGetxattrat(t *testing.T) {
	root := t.TempDir()
	long := strings.Repeat("k", 600) // longer than the first read's buffer
	plantLabeled(t, root, "labelled", "SHA256E-s8--k")
	plantLabeled(t, root, "d/long", long)
	plantLabeled(t, root, "stale", "SHA256E-s5--k")
	// Modified by another program: the label no longer applies.
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(root, "stale"), later, later); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "plain"), []byte("plain"), 0o666); err != nil {
		t.Fatal(err)
	}
	b, err := Open(root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	labels := b.RecordsLabels()
	want := map[string]string{"labelled": "SHA256E-s8--k", "d/long": long, "stale": "", "plain": ""}

	defer noGetxattrat.Store(noGetxattrat.Load())
	infos := map[bool]map[string]backends.Info{}
	for _, fallback := range []bool{false, true} {
		noGetxattrat.Store(fallback)
		infos[fallback] = map[string]backends.Info{}
		for name, label := range want {
			info, err := b.Stat(t.Context(), name)
			if err != nil {
				t.Fatal(err)
			}
			if !labels {
				label = ""
			}
			if info.Label != label {
				t.Errorf("fallback %v: %s has label %q, want %q", fallback, name, info.Label, label)
			}
			infos[fallback][name] = info
		}
		if !fallback && noGetxattrat.Load() {
			t.Log("this kernel lacks getxattrat(2): both runs took the fallback")
		}
	}
	for name := range want {
		if !reflect.DeepEqual(infos[false][name], infos[true][name]) {
			t.Errorf("%s: %+v with getxattrat, %+v without", name, infos[false][name], infos[true][name])
		}
	}
}

// ino returns the inode number of the open directory d.
func ino(t *testing.T, d *dir) uint64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Fstat(d.fd, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

func lstatIno(t *testing.T, p string) uint64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

// openDir opens the directory opened as the root even when its path now
// leads elsewhere, and follows a symbolic link that stays within the
// root, as os.Root does.
func TestOpenDirAsRootDoes(t *testing.T) {
	parent := t.TempDir()
	root := filepath.Join(parent, "root")
	if err := os.MkdirAll(filepath.Join(root, "real", "sub"), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real", filepath.Join(root, "alias")); err != nil {
		t.Fatal(err)
	}
	b, err := Open(root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for name, target := range map[string]string{"": "", "real/sub": "real/sub", "alias": "real", "alias/sub": "real/sub"} {
		d, err := b.openDir(name)
		if err != nil {
			t.Fatalf("openDir(%q): %v", name, err)
		}
		if got, want := ino(t, d), lstatIno(t, filepath.Join(root, target)); got != want {
			t.Errorf("openDir(%q) opened inode %d, want %d (%s)", name, got, want, target)
		}
		d.close()
	}

	rootIno := lstatIno(t, root)
	if err := os.Rename(root, root+".moved"); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "real"), 0o777); err != nil {
		t.Fatal(err)
	}
	d, err := b.openDir("")
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	if got := ino(t, d); got != rootIno {
		t.Errorf("after the move, openDir(\"\") opened inode %d, want the root's, %d", got, rootIno)
	}
	sub, err := b.openDir("real")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.close()
	if got, want := ino(t, sub), lstatIno(t, filepath.Join(root+".moved", "real")); got != want {
		t.Errorf("after the move, openDir(\"real\") opened inode %d, want %d", got, want)
	}
}

// A sweep (of another process that found a dead session) may take a
// temporary between its creation and its lock: holding the temporary's
// lock as the store tries to take it, or having removed it already. The
// store starts over with a new name either way, instead of failing.
func TestCreateTempRacesSweep(t *testing.T) {
	b, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	d, err := b.openDir("")
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	var swept []string
	var held int = -1
	defer func() { testHookCreated = nil }()
	testHookCreated = func(d *dir, name string) {
		switch len(swept) {
		case 0: // a sweep that holds the lock as the store tries it
			fd, err := unix.Openat(d.fd, name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			if err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB); err != nil {
				t.Fatal(err)
			}
			d.unlink(name)
			held = fd
		case 1: // a sweep that is done: the name is gone
			unix.Close(held)
			if ok, err := d.sweepTemp(name); !ok || err != nil {
				t.Fatalf("sweep: %v %v", ok, err)
			}
		}
		swept = append(swept, name)
	}
	f, name, err := d.createTemp(tmpPrefix)
	if err != nil {
		t.Fatalf("createTemp: %v", err)
	}
	defer f.Close()
	if len(swept) != 3 || name != swept[2] {
		t.Fatalf("created %q after %d attempts (%q), want the third", name, len(swept), swept)
	}
	if _, err := d.lstat(name); err != nil {
		t.Fatalf("the temporary is not under its name: %v", err)
	}
}

// A store or rename into a directory that another process made (and may
// not have committed to its parent yet) commits the directory's entry and
// its parents' too, once per directory; one the process made and committed
// costs only its own fsync afterwards.
func TestEntriesCommittedUpToTheRoot(t *testing.T) {
	root, b := openTemp(t, Options{})
	// Made by "another process": nothing says its entry is durable.
	if err := os.MkdirAll(filepath.Join(root, "a", "b"), 0o777); err != nil {
		t.Fatal(err)
	}
	store := func(name string) { storeString(t, b, name, "x") }
	store("first") // starts the session, which fsyncs its own files
	var synced []string
	defer func() { testHookSynced = nil }()
	testHookSynced = func(name string) { synced = append(synced, name) }
	for _, step := range []struct {
		do   func()
		want []string
	}{
		{func() { store("a/b/f") }, []string{"a/b", "a", ""}},
		{func() { store("a/b/g") }, []string{"a/b"}},
		{func() { store("top") }, []string{""}},
		{func() { store("c/d/h") }, []string{"c/d", "c", ""}},
		{func() {
			if err := b.Rename(t.Context(), "top", "a/top", backends.Condition{}, backends.Condition{}); err != nil {
				t.Fatal(err)
			}
		}, []string{"a", "", ""}},
		{func() { // made again by someone else: a new directory (made
			// before the old one goes, so it cannot reuse its inode)
			if err := os.MkdirAll(filepath.Join(root, "new", "d"), 0o777); err != nil {
				t.Fatal(err)
			}
			if err := os.RemoveAll(filepath.Join(root, "c")); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(filepath.Join(root, "new"), filepath.Join(root, "c")); err != nil {
				t.Fatal(err)
			}
			store("c/d/h")
		}, []string{"c/d", "c", ""}},
	} {
		synced = nil
		step.do()
		if !reflect.DeepEqual(synced, step.want) {
			t.Errorf("fsynced %q, want %q", synced, step.want)
		}
	}
}

// On a filesystem with 2-second timestamps (FAT) and inodes ignored, each
// store that replaces a file of the same size within one tick gets a CID
// of its own, and its label holds; its stamp is before the tick, so a
// write by another program from now on changes it.
func TestCoarseTimestampsKeepCIDsApart(t *testing.T) {
	const tick = int64(2 * time.Second)
	frozen := time.Now() // every store lands in this tick
	playCoarseTimes(t, frozen, false)
	root, b := openTemp(t, Options{IgnoreInodes: true})
	seen := map[backends.CID]string{}
	for _, content := range []string{"aaaa", "bbbb", "cccc", "ddddd", "eeee"} {
		size := int64(len(content))
		cid, err := b.Store(t.Context(), "f", strings.NewReader(content), backends.StoreOptions{Size: size, Label: "key-" + content})
		if err != nil {
			t.Fatal(err)
		}
		if prev, ok := seen[cid]; ok {
			t.Errorf("storing %q gave %s, the CID of %q before it", content, cid, prev)
		}
		seen[cid] = content
		info, err := b.Stat(t.Context(), "f")
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Lstat(filepath.Join(root, "f"))
		if err != nil {
			t.Fatal(err)
		}
		if tickStart := frozen.UnixNano() / tick * tick; fi.ModTime().UnixNano() >= tickStart {
			t.Errorf("after storing %q: mtime %v, want it before the tick a write now gets (%v)", content, fi.ModTime(), time.Unix(0, tickStart))
		}
		if info.CID != cid || info.Label != "key-"+content {
			t.Errorf("after storing %q: Stat says %s %q, want %s %q", content, info.CID, info.Label, cid, "key-"+content)
		}
	}
}

// A directory this process made, pruned and makes again (reusing the
// inode number, as ext4 does) is committed to its parent again.
func TestRemadeDirCommittedAgain(t *testing.T) {
	root, b := openTemp(t, Options{})
	store := func(name string) { storeString(t, b, name, "x") }
	store("a/b/f")
	if err := b.Remove(t.Context(), "a/b/f", backends.Condition{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(root, "a")); !os.IsNotExist(err) {
		t.Fatalf("a was not pruned: %v", err)
	}
	var synced []string
	defer func() { testHookSynced = nil }()
	testHookSynced = func(name string) { synced = append(synced, name) }
	store("a/b/g")
	if want := []string{"a/b", "a", ""}; !reflect.DeepEqual(synced, want) {
		t.Errorf("fsynced %q, want %q", synced, want)
	}
}

// playCoarseTimes makes every mtime set by a store what a filesystem with
// 2-second times keeps: truncated (FAT) or rounded to the nearest tick.
func playCoarseTimes(t *testing.T, frozen time.Time, round bool) {
	const tick = int64(2 * time.Second)
	t.Cleanup(func() { clock, testHookStamped = time.Now, nil })
	clock = func() time.Time { return frozen }
	testHookStamped = func(fd int) {
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			t.Fatal(err)
		}
		ns := st.Mtim.Nano()
		if round {
			ns += tick / 2
		}
		at := time.Unix(0, ns/tick*tick)
		if err := os.Chtimes(fmt.Sprintf("/proc/self/fd/%d", fd), at, at); err != nil {
			t.Fatal(err)
		}
	}
}

// With coarse times and inodes ignored, a store, its removal and another
// store of the same size at that name within the tick differ in CID.
func TestCoarseStoreRemoveStore(t *testing.T) {
	playCoarseTimes(t, time.Now(), false)
	_, b := openTemp(t, Options{IgnoreInodes: true})
	c1, err := b.Store(t.Context(), "f", strings.NewReader("aaaa"), backends.StoreOptions{Size: 4})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Remove(t.Context(), "f", backends.Condition{}); err != nil {
		t.Fatal(err)
	}
	c2, err := b.Store(t.Context(), "f", strings.NewReader("bbbb"), backends.StoreOptions{Size: 4})
	if err != nil {
		t.Fatal(err)
	}
	if c1 == c2 {
		t.Errorf("two stores of different content at f share CID %s", c1)
	}
}

// A filesystem that rounds set times to the nearest tick, late in a tick:
// the stamp still lands below what a write from now on gets, and
// successive stores differ.
func TestRoundingTimes(t *testing.T) {
	const tick = int64(2 * time.Second)
	frozen := time.Unix(0, time.Now().UnixNano()/tick*tick+tick*3/4)
	playCoarseTimes(t, frozen, true)
	root, b := openTemp(t, Options{IgnoreInodes: true})
	seen := map[backends.CID]bool{}
	for _, content := range []string{"aaaa", "bbbb", "cccc"} {
		cid, err := b.Store(t.Context(), "f", strings.NewReader(content), backends.StoreOptions{Size: 4})
		if err != nil {
			t.Fatal(err)
		}
		if seen[cid] {
			t.Errorf("storing %q gave %s again", content, cid)
		}
		seen[cid] = true
		fi, err := os.Lstat(filepath.Join(root, "f"))
		if err != nil {
			t.Fatal(err)
		}
		// A write at the kernel's clock (which may lag) gets no less.
		writeNow := (frozen.UnixNano() - int64(kernelClockLag) + tick/2) / tick * tick
		if fi.ModTime().UnixNano() >= writeNow {
			t.Errorf("after storing %q: mtime %v, want it before %v, what a write now gets", content, fi.ModTime(), time.Unix(0, writeNow))
		}
	}
}

// openTemp opens a Backend on a new temporary directory.
func openTemp(t *testing.T, opts Options) (string, *Backend) {
	t.Helper()
	root := t.TempDir()
	b, err := Open(root, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return root, b
}

func storeString(t *testing.T, b *Backend, name, content string) {
	t.Helper()
	if _, err := b.Store(t.Context(), name, strings.NewReader(content), backends.StoreOptions{Size: int64(len(content))}); err != nil {
		t.Fatal(err)
	}
}

// A burst of stores of one size at many names within one coarse tick (an
// export of many small files to FAT) all succeed, with CIDs of their own.
func TestCoarseBurstOfOneSize(t *testing.T) {
	playCoarseTimes(t, time.Now(), false)
	for _, opts := range []Options{{}, {IgnoreInodes: true}} {
		_, b := openTemp(t, opts)
		seen := map[backends.CID]int{}
		for i := range 300 {
			cid, err := b.Store(t.Context(), fmt.Sprintf("f%d", i), strings.NewReader("same"), backends.StoreOptions{Size: 4})
			if err != nil {
				t.Fatalf("%+v: store %d: %v", opts, i, err)
			}
			if j, ok := seen[cid]; ok {
				t.Fatalf("%+v: store %d got %s, the CID of store %d", opts, i, cid, j)
			}
			seen[cid] = i
		}
	}
}

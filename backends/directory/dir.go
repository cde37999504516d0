package directory

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// The reserved prefixes of the backend's own files (see backends.Reserved).
const (
	tmpPrefix   = ".git-annex-exporttree-tmp-"
	asidePrefix = ".git-annex-exporttree-aside-" // see aside.go
	spentPrefix = ".git-annex-exporttree-spent-"
)

// dir is an open directory below the root. Its methods take single name
// components, so no lookup they do can leave it. It holds a bare
// descriptor: an os.File costs several fcntl calls and a failed epoll
// registration per open, which most operations never use.
type dir struct {
	fd      int
	name    string   // below the root, "" for the root; for messages
	entries *os.File // reads entries, made on first need; then owns fd
	// borrowed: fd is the Backend's root descriptor, not closed here.
	borrowed bool
}

// split returns the directory part of a name ("" at the top) and its last
// component.
func split(name string) (dirName, base string) {
	i := strings.LastIndexByte(name, '/')
	if i < 0 {
		return "", name
	}
	return name[:i], name[i+1:]
}

// openDir opens the directory name ("" for the root) below the root.
func (b *Backend) openDir(name string) (*dir, error) {
	if name == "" {
		return &dir{fd: b.rootFD, borrowed: true}, nil
	}
	fd, err := b.openPlain(name)
	if err == nil {
		return &dir{fd: fd, name: name}, nil
	}
	if errors.Is(err, unix.ENOENT) {
		return nil, &fs.PathError{Op: "openat", Path: name, Err: err}
	}
	// A symbolic link on the way, or anything unusual: os.Root resolves it
	// (within the root) and words the error.
	f, err := b.root.OpenFile(name, os.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err != nil {
		return nil, err
	}
	return &dir{fd: int(f.Fd()), name: name, entries: f}, nil
}

// openPlain opens the directory name the common way: from the root's
// descriptor, one real directory (no symbolic link) per component. Any
// failure but a missing component leaves the case to os.Root. That the
// root's path still leads to the root is checked before each operation
// (Backend.reachable), not here.
func (b *Backend) openPlain(name string) (int, error) {
	fd := b.rootFD
	for name != "" {
		var part string
		part, name, _ = strings.Cut(name, "/")
		sub, err := unix.Openat(fd, part, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if fd != b.rootFD {
			unix.Close(fd)
		}
		if err != nil {
			return -1, err
		}
		fd = sub
	}
	return fd, nil
}

// makeDir opens the directory name, creating what is missing of it; created
// lists the directories it made, outermost first.
func (b *Backend) makeDir(name string) (d *dir, created []string, err error) {
	for attempt := 1; ; attempt++ {
		d, created, err = b.makeDirOnce(name)
		// A concurrent Remove may prune what exists between the mkdir and
		// the open: make it again.
		if !errors.Is(err, fs.ErrNotExist) || attempt == createAttempts {
			return d, created, err
		}
	}
}

func (b *Backend) makeDirOnce(name string) (d *dir, created []string, err error) {
	// Most stores go where the directory already is: one open, no mkdir.
	if d, err := b.openDir(name); !errors.Is(err, fs.ErrNotExist) {
		return d, nil, err
	}
	if name != "" {
		for i := 0; i <= len(name); i++ {
			if i < len(name) && name[i] != '/' {
				continue
			}
			err := b.root.Mkdir(name[:i], 0o777)
			if err == nil {
				created = append(created, name[:i])
			} else if !errors.Is(err, fs.ErrExist) {
				b.removeCreated(created)
				return nil, nil, err
			}
		}
	}
	d, err = b.openDir(name)
	if err != nil {
		b.removeCreated(created)
		return nil, nil, err
	}
	return d, created, nil
}

// removeCreated undoes makeDir's creations after a failure, innermost
// first, stopping at the first that is no longer empty.
func (b *Backend) removeCreated(created []string) {
	for i := len(created) - 1; i >= 0; i-- {
		if b.removeEmptyDir(created[i]) != nil {
			return
		}
	}
}

// removeEmptyDir removes the directory name if it is empty. It never follows
// or removes a symbolic link.
func (b *Backend) removeEmptyDir(name string) error {
	parent, base := split(name)
	d, err := b.openDir(parent)
	if err != nil {
		return err
	}
	defer d.close()
	return d.rmdir(base)
}

// prune removes the directory name and then its ancestors while they are
// empty; never the root.
func (b *Backend) prune(name string) {
	for name != "" && b.removeEmptyDir(name) == nil {
		name, _ = split(name)
	}
}

func (d *dir) close() {
	switch {
	case d.entries != nil:
		d.entries.Close()
	case !d.borrowed:
		unix.Close(d.fd)
	}
}

// readDir reads up to n of the directory's entries (all of them when
// n <= 0), as [os.File.ReadDir] does.
func (d *dir) readDir(n int) ([]fs.DirEntry, error) {
	if d.entries == nil {
		if d.borrowed {
			// A reading position of its own: the root's descriptor is
			// shared by every operation.
			fd, err := unix.Openat(d.fd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
			if err != nil {
				return nil, d.pathError("open", ".", err)
			}
			d.fd, d.borrowed = fd, false
		}
		d.entries = os.NewFile(uintptr(d.fd), d.name)
	}
	return d.entries.ReadDir(n)
}

func (d *dir) path(base string) string { return path.Join(d.name, base) }

func (d *dir) pathError(op, base string, err error) error {
	if err == nil {
		return nil
	}
	return &fs.PathError{Op: op, Path: d.path(base), Err: err}
}

// randomBytes is how random the names of the backend's own files are.
const randomBytes = 16

func randomName(prefix string) string { return prefix + randomHex() }

func randomHex() string {
	var buf [randomBytes]byte
	rand.Read(buf[:])
	return hex.EncodeToString(buf[:])
}

// lockFile opens base and takes an exclusive flock on it without waiting:
// unix.EWOULDBLOCK when another holds one. A file this process may not
// read is not locked (nil, nil): operations on it go on, and Sweep leaves
// it alone.
func (d *dir) lockFile(base string) (*os.File, error) {
	fd, err := unix.Openat(d.fd, base, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) {
		return nil, nil
	}
	if err != nil {
		return nil, d.pathError("open", base, err)
	}
	if err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB); err != nil {
		unix.Close(fd)
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, err
		}
		return nil, d.pathError("flock", base, err)
	}
	return os.NewFile(uintptr(fd), d.path(base)), nil
}

// testHookCreated, when set by a test, runs in createTemp between the
// creation of a temporary and its lock: where a sweep can take it.
var testHookCreated func(d *dir, name string)

// createTemp creates a new empty file named prefix and random hex.
func (d *dir) createTemp(prefix string) (*os.File, string, error) {
	for attempt := 1; ; attempt++ {
		name := randomName(prefix)
		fd, err := unix.Openat(d.fd, name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o666)
		if err != nil {
			return nil, "", d.pathError("create", name, err)
		}
		f := os.NewFile(uintptr(fd), d.path(name))
		if testHookCreated != nil {
			testHookCreated(d, name)
		}
		// Sweep takes any temporary it can lock. One swept between our
		// create and our lock is no longer under its name: then start over
		// with a new one, so that no age threshold is needed.
		if err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB); err != nil {
			f.Close()
			if errors.Is(err, unix.EWOULDBLOCK) && attempt < createAttempts {
				continue // a sweep holds it, and removes it
			}
			d.unlink(name)
			return nil, "", d.pathError("flock", name, err)
		}
		var mine, named unix.Stat_t
		if err := unix.Fstat(fd, &mine); err != nil {
			f.Close()
			d.unlink(name)
			return nil, "", d.pathError("stat", name, err)
		}
		err = unix.Fstatat(d.fd, name, &named, unix.AT_SYMLINK_NOFOLLOW)
		if err == nil && named.Dev == mine.Dev && named.Ino == mine.Ino {
			return f, name, nil
		}
		f.Close()
		if attempt == createAttempts {
			return nil, "", d.pathError("create", name, fmt.Errorf("temporary removed while being created: %w", unix.ENOENT))
		}
	}
}

// lstat describes base without following a symbolic link.
func (d *dir) lstat(base string) (unix.Stat_t, error) {
	var st unix.Stat_t
	err := unix.Fstatat(d.fd, base, &st, unix.AT_SYMLINK_NOFOLLOW)
	return st, d.pathError("stat", base, err)
}

// openFile opens the regular file base for reading. It never follows a
// symbolic link, and never blocks on a FIFO or opens a device: those are
// refused as not regular files.
func (d *dir) openFile(base string) (*os.File, unix.Stat_t, error) {
	st, err := d.lstat(base)
	if err == nil {
		err = d.regular(base, &st)
	}
	if err != nil {
		return nil, st, err
	}
	fd, err := d.openLooked(base, &st)
	if err != nil {
		return nil, st, err
	}
	if err := unix.SetNonblock(fd, false); err != nil {
		unix.Close(fd)
		return nil, st, d.pathError("open", base, err)
	}
	return os.NewFile(uintptr(fd), d.path(base)), st, nil
}

// openLooked opens base, which an lstat found to be a regular file, and
// updates st to what it opened: still a regular file, or it fails. The
// descriptor is non-blocking.
func (d *dir) openLooked(base string, st *unix.Stat_t) (int, error) {
	fd, err := unix.Openat(d.fd, base, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, d.pathError("open", base, err)
	}
	if err = unix.Fstat(fd, st); err == nil {
		err = d.regular(base, st)
	}
	if err != nil {
		unix.Close(fd)
		return -1, d.pathError("open", base, err)
	}
	return fd, nil
}

// errNotRegular: something other than a file or directory is in the way.
var errNotRegular = errors.New("not a regular file (symbolic links, devices and FIFOs are never followed)")

// regular fails unless st is a regular file. A directory means nothing is
// stored under the name: fs.ErrNotExist.
func (d *dir) regular(base string, st *unix.Stat_t) error {
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		return nil
	case unix.S_IFDIR:
		return d.pathError("open", base, errIsDir)
	}
	return d.pathError("open", base, errNotRegular)
}

// errIsDir matches fs.ErrNotExist: no file is stored under a directory's name.
var errIsDir = isDirError{}

type isDirError struct{}

func (isDirError) Error() string        { return "is a directory, not a stored file" }
func (isDirError) Is(target error) bool { return target == fs.ErrNotExist }

func (d *dir) unlink(base string) error {
	return d.pathError("unlink", base, unix.Unlinkat(d.fd, base, 0))
}

func (d *dir) rmdir(base string) error {
	return d.pathError("rmdir", base, unix.Unlinkat(d.fd, base, unix.AT_REMOVEDIR))
}

// sync commits the directory's entries. Some filesystems cannot fsync a
// directory; their renames are as durable as they get without it.
// testHookSynced, when set by a test, sees every directory fsync.
var testHookSynced func(name string)

func (d *dir) sync() error {
	if testHookSynced != nil {
		testHookSynced(d.name)
	}
	err := unix.Fsync(d.fd)
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOTSUP) {
		return nil
	}
	return d.pathError("fsync", "", err)
}

// moveEntry moves from's entry fromBase to to's entry toBase, replacing it.
func moveEntry(from *dir, fromBase string, to *dir, toBase string) error {
	if err := unix.Renameat(from.fd, fromBase, to.fd, toBase); err != nil {
		return from.pathError("rename", fromBase, err)
	}
	// rename(2) between two links to one file does nothing: then the move
	// is the removal of the old name.
	fromSt, err := from.lstat(fromBase)
	if err != nil {
		return nil // moved, as nearly always
	}
	// One link under two names is one name spelt two ways on a
	// case-insensitive filesystem: unlinking would remove the file.
	toSt, err := to.lstat(toBase)
	if err != nil || toSt.Dev != fromSt.Dev || toSt.Ino != fromSt.Ino || fromSt.Nlink < 2 || fromBase == toBase && sameDir(from, to) {
		return nil
	}
	return from.unlink(fromBase)
}

// sameDir reports whether a and b are one directory.
func sameDir(a, b *dir) bool {
	var sa, sb unix.Stat_t
	return unix.Fstat(a.fd, &sa) == nil && unix.Fstat(b.fd, &sb) == nil && sa.Dev == sb.Dev && sa.Ino == sb.Ino
}

// renameNoReplace is rename failing with EEXIST when toBase exists, checked
// atomically by the kernel: renameat2(RENAME_NOREPLACE) or, on filesystems
// without it, link then unlink. Only without hard links either (FAT) does
// it fall back to a check before a plain rename, which leaves a window.
func renameNoReplace(from *dir, fromBase string, to *dir, toBase string) error {
	err := unix.Renameat2(from.fd, fromBase, to.fd, toBase, unix.RENAME_NOREPLACE)
	if !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOSYS) && !errors.Is(err, unix.ENOTSUP) {
		return from.pathError("rename", fromBase, err)
	}
	err = unix.Linkat(from.fd, fromBase, to.fd, toBase, 0)
	if err == nil {
		return from.unlink(fromBase)
	}
	if !errors.Is(err, unix.EPERM) && !errors.Is(err, unix.ENOTSUP) {
		return from.pathError("link", fromBase, err)
	}
	if _, err := to.lstat(toBase); err == nil {
		return to.pathError("rename", toBase, unix.EEXIST)
	}
	return moveEntry(from, fromBase, to, toBase)
}

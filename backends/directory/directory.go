// Package directory is a [backends.Backend] that keeps an exported tree as
// plain files below a local directory, the way git-annex's directory special
// remote does: the name "a/b/c" is the file a/b/c under the root. Start at
// [Open].
//
// # Confinement
//
// Every path is resolved below the root one real directory at a time
// (O_NOFOLLOW), or through an [os.Root] where a symbolic link is on the way,
// so no name, and no symbolic link planted in the tree, reaches outside the
// root: such names are
// refused with [backends.ErrRefused]. Symbolic links are never listed, and a
// name whose last component is one is refused rather than followed.
// Operations on a single directory entry (create, rename, link, unlink) use
// the directory's descriptor and a single component.
//
// # Content identifiers
//
// A CID is "<inode>.<size>.<mtime>", each in lower-case hexadecimal, the
// mtime in nanoseconds since 1970 (for example "3c2a1.400.17a5c3e2f00d1b4a").
// With [Options.IgnoreInodes] it is "<size>.<mtime>". Store stamps the mtime
// from the process's clock, finer than most kernels' file timestamps, so
// two stores never share a CID even when inodes are ignored. A modification
// by another program that keeps the inode, the size and the mtime (to the
// kernel's timestamp granularity) goes unseen. On a filesystem with coarse
// times (FAT, exFAT, ext4 with small inodes) the stamp is set into a past
// tick, below any write to come, unused by the process's earlier stores
// and below a recent store's it replaces (see stampFresh); there, stores
// of one size by different processes at different names within a tick
// share a CID when inodes are ignored.
//
// # Stores and temporaries
//
// Store writes a temporary file named ".git-annex-exporttree-tmp-<random>"
// in the destination's directory, holds an exclusive flock on it while the
// store is live, records the label, fsyncs it, renames it into place and
// fsyncs the directory. Temporaries are reserved names (see
// [backends.Reserved]): never listed, and never the name of an exported file.
// [Backend.Sweep] removes those that crashed processes left; it walks the
// tree only after a writer died (see session.go).
//
// # Conditions
//
// NothingThere is checked by the rename itself (renameat2 with
// RENAME_NOREPLACE, or link then unlink where that is unsupported). A
// condition on a CID moves the current file aside atomically, to
// ".git-annex-exporttree-aside-<random>-<name>", checks the CID of what it
// moved and then either acts on exactly that file or moves it back. While it
// is aside, the name is briefly absent. Should the process die in that
// window, the next Sweep (any process's PREPARE) puts the content back, or
// deletes it if what replaced it is already in place (see aside.go), so a
// name holds the old or the new content, never neither for long.
//
// # Labels
//
// The label is the extended attribute "user.git-annex-exporttree.label",
// holding "<size>.<mtime> <label>". It is reported only while the file still
// has that size and mtime, so a file modified by another program has no
// label. Filesystems without user extended attributes record no labels.
package directory

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
)

var (
	_ backends.Backend    = (*Backend)(nil)
	_ backends.Renamer    = (*Backend)(nil)
	_ backends.DirRemover = (*Backend)(nil)
	_ backends.Sweeper    = (*Backend)(nil)
	_ backends.Closer     = (*Backend)(nil)
)

// Options configure a [Backend].
type Options struct {
	// IgnoreInodes leaves inode numbers out of CIDs, for filesystems that
	// renumber inodes (some network and FUSE filesystems, on every mount).
	IgnoreInodes bool
	// SkipWriteCheck makes Open accept a root it cannot write to, for
	// reading only (retrieval, listing, import); writes then fail as
	// [backends.ErrRefused].
	SkipWriteCheck bool
}

// Backend stores files below one directory. Its methods may be called
// concurrently, also by other processes on the same directory.
type Backend struct {
	path     string // absolute
	root     *os.Root
	rootInfo fs.FileInfo // to tell when path no longer names the root
	// rootDir is the root opened once more, for its bare descriptor:
	// operations open their directories from it (see openPlain).
	rootDir *os.File
	rootFD  int // rootDir's
	// nameMax is the longest name component the filesystem holds, in
	// bytes (statfs f_namelen).
	nameMax int
	opts    Options
	// escapes is the error os.Root gives for a path that leads outside.
	escapes error
	// session announces this process as a writer (see session.go).
	session session
	// durable holds the directories (dirKey) whose entries, up to the root,
	// this process has committed (see syncEntries).
	durable sync.Map
	// stamps are the CIDs this process's stores got on a filesystem with
	// coarse times (see stampFresh).
	stamps stampLog
}

// Open returns a Backend storing below the directory at path, which must
// exist and, unless [Options.SkipWriteCheck], be writable. A path that does
// not exist is [backends.ErrUnreachable] (an unmounted drive, typically); a
// path that is not a (writable) directory is [backends.ErrRefused].
func Open(path string, opts Options) (*Backend, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, &backends.Error{Op: "open", Name: path, Err: err}
	}
	fi, err := os.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, backends.Errorf("open", abs, backends.ErrUnreachable, "directory does not exist (is the drive mounted?)")
	case errors.Is(err, fs.ErrPermission):
		return nil, backends.Errorf("open", abs, backends.ErrRefused, "directory not accessible: %w", err)
	case err != nil:
		return nil, &backends.Error{Op: "open", Name: abs, Err: err}
	case !fi.IsDir():
		return nil, backends.Errorf("open", abs, backends.ErrRefused, "not a directory")
	}
	root, err := os.OpenRoot(abs)
	if err != nil {
		return nil, backends.Errorf("open", abs, classify(err, nil), "%w", err)
	}
	b := &Backend{path: abs, root: root, opts: opts, escapes: escapeError(root)}
	if b.rootDir, err = root.OpenFile(".", os.O_RDONLY|unix.O_DIRECTORY, 0); err != nil {
		root.Close()
		return nil, backends.Errorf("open", abs, classify(err, nil), "%w", err)
	}
	b.rootFD = int(b.rootDir.Fd())
	b.nameMax = nameMax(b.rootFD)
	if b.rootInfo, err = b.rootDir.Stat(); err == nil && !opts.SkipWriteCheck {
		err = b.probe()
	}
	if err != nil {
		b.rootDir.Close()
		root.Close()
		return nil, backends.Errorf("open", abs, backends.ErrRefused, "directory not writable: %w", err)
	}
	return b, nil
}

// escapeError returns the error os.Root reports for a path leading outside
// it. The standard library does not export it; asking for ".." yields it
// without touching the disk.
func escapeError(root *os.Root) error {
	_, err := root.Lstat("..")
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return errors.New("unreachable: no escape error") // matches nothing
}

// probe checks the root is writable. It writes nothing: a file made here
// would be left behind by a process killed at once, and only writers'
// leftovers are swept (see session.go).
func (b *Backend) probe() error {
	return unix.Faccessat(unix.AT_FDCWD, b.path, unix.W_OK, unix.AT_EACCESS)
}

// RecordsLabels reports whether this directory's filesystem keeps the
// labels Store records (user extended attributes); see
// [backends.LabelRecorder]. It is tried on the session file, which it makes
// if need be. Where that cannot be made (the directory is read-only, or a
// write failed for a moment) the answer comes from reading an attribute of
// the root instead: never "no" only because of a failed write, which would
// turn the export guard off.
func (b *Backend) RecordsLabels() bool {
	if b.live() != nil {
		_, err := unix.Fgetxattr(b.rootFD, labelAttr, nil)
		return !errors.Is(err, unix.ENOTSUP) && !errors.Is(err, unix.EOPNOTSUPP)
	}
	b.session.mu.Lock()
	defer b.session.mu.Unlock()
	return b.session.labels
}

// Close ends this process's session (see session.go) and releases the root
// directory. Every operation must have returned.
func (b *Backend) Close() error {
	b.endSession()
	b.rootDir.Close()
	return b.root.Close()
}

// check validates names for op and that the root is still there. A name
// with a component longer than the filesystem holds is refused here, so
// that every operation refuses it whether or not its parent exists (the
// filesystem would report ENAMETOOLONG only once it looked the component
// up, and a missing parent would make it look absent).
func (b *Backend) check(op string, names ...string) error {
	for _, name := range names {
		if err := backends.ValidName(name); err != nil {
			err.(*backends.Error).Op = op
			return err
		}
		if n := longestComponent(name); n > b.nameMax {
			return backends.Errorf(op, name, backends.ErrRefused,
				"a name component too long: %d bytes, more than the %d this filesystem holds", n, b.nameMax)
		}
	}
	return b.reachable(op, names[0])
}

// longestComponent returns the length in bytes of name's longest
// '/'-separated component.
func longestComponent(name string) int {
	longest := 0
	for part := range strings.SplitSeq(name, "/") {
		longest = max(longest, len(part))
	}
	return longest
}

// nameMax returns the longest name component the filesystem of the
// directory fd holds, or NAME_MAX (255) when it does not say.
func nameMax(fd int) int {
	var st unix.Statfs_t
	if err := unix.Fstatfs(fd, &st); err == nil && st.Namelen > 0 {
		return int(st.Namelen)
	}
	return 255
}

// reachable reports [backends.ErrUnreachable] when the root's path no longer
// names the directory opened (unmounted, moved or removed): the open
// descriptor would otherwise go on reading a directory nobody sees.
func (b *Backend) reachable(op, name string) error {
	fi, err := os.Stat(b.path)
	if err == nil && os.SameFile(fi, b.rootInfo) {
		return nil
	}
	if err == nil {
		err = errors.New("it names another directory now")
	}
	return backends.Errorf(op, name, backends.ErrUnreachable, "directory %s gone (unmounted, moved or removed): %w", b.path, err)
}

// fail classifies err for op on name, once, at the edge.
func (b *Backend) fail(op, name string, err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var be *backends.Error
	if errors.As(err, &be) {
		return err
	}
	class := classify(err, b.escapes)
	switch class {
	case backends.ErrNotFound:
		// A root that vanished makes everything look absent.
		if rerr := b.reachable(op, name); rerr != nil {
			return rerr
		}
	case backends.ErrRefused:
		if errors.Is(err, b.escapes) {
			err = fmt.Errorf("a symbolic link leads outside %s: %w", b.path, err)
		}
	}
	return &backends.Error{Op: op, Name: name, Class: class, Err: err}
}

package directory

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
	"golang.org/x/sys/unix"
)

// Store writes r to a temporary in name's directory and renames it into
// place (see the package doc).
func (b *Backend) Store(ctx context.Context, name string, r io.Reader, opts backends.StoreOptions) (backends.CID, error) {
	if err := b.check("store", name); err != nil {
		return "", err
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	cid, err := b.store(ctx, name, r, opts)
	return cid, b.fail("store", name, err)
}

// createAttempts bounds retries of a creation another process undid: a
// concurrent Remove that pruned the directory between its creation and the
// temporary's, a sweep that took a temporary as it was made.
const createAttempts = 5

func (b *Backend) store(ctx context.Context, name string, r io.Reader, opts backends.StoreOptions) (cid backends.CID, err error) {
	if err := b.live(); err != nil {
		return "", err
	}
	dirName, base := split(name)
	var (
		d       *dir
		created []string
		tmp     *os.File
		tmpName string
	)
	for attempt := 1; ; attempt++ {
		d, created, err = b.makeDir(dirName)
		if errors.Is(err, unix.ENOTDIR) {
			return "", backends.Errorf("store", name, nil, "cannot create directory %q: a file is in the way", dirName)
		}
		if err != nil {
			return "", err
		}
		tmp, tmpName, err = d.createTemp(tmpPrefix)
		if err == nil {
			break
		}
		d.close()
		if !errors.Is(err, os.ErrNotExist) || attempt == createAttempts {
			b.removeCreated(created)
			return "", err
		}
	}
	defer d.close()
	committed := false
	defer func() {
		if !committed {
			if d.unlink(tmpName) != nil {
				b.leftBehind()
			}
			b.removeCreated(created)
		}
		tmp.Close() // after the rename: the flock guards the temporary until then
	}()
	fd := int(tmp.Fd()) // createTemp holds its flock: Sweep leaves it alone
	if err := copyIn(tmp, r, opts.Size, opts.Progress); err != nil {
		var be *backends.Error
		if errors.As(err, &be) {
			be.Name = name
		}
		return "", err
	}
	st, err := b.stampFresh(d, tmpName, fd, base)
	if err != nil {
		return "", err
	}
	if opts.Label != "" {
		// An xattr changes the ctime, not the mtime: the stamp holds.
		if err := setLabel(fd, stamp(&st), opts.Label); err != nil {
			return "", d.pathError("setxattr", tmpName, err)
		}
	}
	if err := tmp.Sync(); err != nil {
		return "", err
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	reached(StepStored)
	if err := b.commit(d, tmpName, base, name, opts.If); err != nil {
		return "", err
	}
	committed = true
	reached(StepCommitted)
	if err := d.sync(); err != nil {
		return "", err
	}
	if err := b.syncEntries(d, created); err != nil {
		return "", err
	}
	return b.cid(&st), nil
}

// clock is the stores' source of mtimes; tests stop it.
var clock = time.Now

// testHookStamped, when set by a test, runs after a store sets the mtime,
// to play a filesystem whose timestamps are coarser than the clock.
var testHookStamped func(fd int)

// kernelClockLag bounds how far the kernel's file-time clock (a coarse
// clock, updated every tick of the scheduler) lags the process's.
const kernelClockLag = 50 * time.Millisecond

// stampMemory is how far back, on a filesystem with coarse times, the
// stamp of a replaced file counts as a recent store's (see stampFresh).
const stampMemory = time.Minute

// stampLog remembers the CIDs this process's stores got on a filesystem
// with coarse times, so that none is issued twice (see stampFresh).
type stampLog struct {
	mu     sync.Mutex
	issued map[backends.CID]int64 // CID → its mtime
	lowest int64                  // the lowest mtime ever issued
	pruned int                    // len(issued) after the last prune
}

// issue records cid, unless it was issued before.
func (l *stampLog) issue(cid backends.CID, mtime, now int64) bool {
	if _, used := l.issued[cid]; used {
		return false
	}
	if l.issued == nil {
		l.issued = map[backends.CID]int64{}
	}
	l.issued[cid] = mtime
	if l.lowest == 0 || mtime < l.lowest {
		l.lowest = mtime
	}
	// A fresh stamp is within stampMemory of now, or below lowest: older
	// entries can no longer be met.
	if len(l.issued) > 2*l.pruned+1024 {
		for c, m := range l.issued {
			if m < now-2*int64(stampMemory) {
				delete(l.issued, c)
			}
		}
		l.pruned = len(l.issued)
	}
	return true
}

// stampFresh sets the temporary's mtime and returns its stat. On a
// filesystem that keeps nanoseconds, the mtime is the clock's: two stores
// never share it, even where inodes are ignored. A filesystem with coarser
// times (FAT: 2 s, exFAT: 10 ms, ext4 with small inodes: 1 s) would give a
// store and a write by another program within the same tick one stamp,
// hiding the write. There the stamp goes into a past tick, where no write
// from now on can land, below the replaced file's stamp when that is
// recent (a store of another process, typically), and makes a CID no
// earlier store of this process got: else it goes below every stamp the
// process issued, so a burst of stores of one size drifts into the past
// by a tick each. (Stores of other processes at
// other names can still share a stamp there; see the package doc.)
func (b *Backend) stampFresh(d *dir, tmpName string, fd int, base string) (unix.Stat_t, error) {
	var st unix.Stat_t
	set := func(ns int64) error {
		t := unix.NsecToTimespec(ns)
		if err := unix.UtimesNanoAt(d.fd, tmpName, []unix.Timespec{t, t}, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return d.pathError("utimes", tmpName, err)
		}
		if testHookStamped != nil {
			testHookStamped(fd)
		}
		return d.pathError("stat", tmpName, unix.Fstat(fd, &st))
	}
	now := clock().UnixNano()
	if err := set(now); err != nil || st.Mtim.Nano() == now {
		return st, err
	}
	// The filesystem truncated or rounded the time. Find the latest
	// stamp it keeps below limit: ever larger steps down, as the
	// filesystem's tick is unknown.
	below := func(limit int64) error {
		for step := int64(1); ; step *= 4 {
			if err := set(limit - step); err != nil || st.Mtim.Nano() < limit {
				return err
			}
			if step > int64(stampMemory) {
				return d.pathError("utimes", tmpName, fmt.Errorf("the filesystem keeps no time below %v", time.Unix(0, limit)))
			}
		}
	}
	if err := set(now - int64(kernelClockLag)); err != nil {
		return st, err
	}
	limit := min(st.Mtim.Nano(), now-int64(kernelClockLag))
	if old, err := d.lstat(base); err == nil {
		if behind := limit - old.Mtim.Nano(); behind >= 0 && behind < int64(stampMemory) {
			limit = old.Mtim.Nano()
		}
	}
	b.stamps.mu.Lock()
	defer b.stamps.mu.Unlock()
	if err := below(limit); err != nil || b.stamps.issue(b.cid(&st), st.Mtim.Nano(), now) {
		return st, err
	}
	// Taken (by a store of the same size this tick, or an inode reused):
	// below every stamp issued is free.
	if err := below(b.stamps.lowest); err != nil {
		return st, err
	}
	b.stamps.issue(b.cid(&st), st.Mtim.Nano(), now)
	return st, nil
}

// sourceReader remembers the error of the reader it wraps, to tell a
// failing source from a failing destination.
type sourceReader struct {
	r   io.Reader
	err error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}

// copyIn copies r to dst, checking the byte count when size is known. It
// holds no more than a buffer in memory, and between files it lets the
// kernel copy (copy_file_range). A source's failure is unclassified:
// whatever it says about its own files says nothing about the name stored.
func copyIn(dst *os.File, r io.Reader, size int64, progress func(int64)) error {
	var src io.Reader = r
	var sr *sourceReader
	if _, isFile := r.(*os.File); !isFile {
		sr = &sourceReader{r: r}
		src = sr
	}
	limit := int64(-1)
	if size >= 0 {
		limit = size + 1
	}
	n, err := copyChunks(dst, src, limit, progress)
	switch {
	case sr != nil && sr.err != nil:
		return &backends.Error{Op: "store", Err: fmt.Errorf("reading the content: %w", sr.err)}
	case err != nil:
		return err
	case size >= 0 && n > size:
		return &backends.Error{Op: "store", Err: fmt.Errorf("the content is longer than the %d bytes announced", size)}
	case size >= 0 && n < size:
		return &backends.Error{Op: "store", Err: fmt.Errorf("the content is %d bytes, %d were announced", n, size)}
	}
	return nil
}

// progressChunk is how much is copied between progress reports.
const progressChunk = 8 << 20

// copyChunks copies at most limit bytes (all, when limit < 0) from src to
// dst in chunks, reporting the running total after each. io.CopyN keeps
// (*os.File).ReadFrom's copy_file_range path: it passes an io.LimitedReader
// around the source file, which ReadFrom unwraps.
func copyChunks(dst *os.File, src io.Reader, limit int64, progress func(int64)) (int64, error) {
	var total int64
	for limit < 0 || total < limit {
		chunk := int64(progressChunk)
		if limit >= 0 {
			chunk = min(chunk, limit-total)
		}
		n, err := io.CopyN(dst, src, chunk)
		total += n
		if progress != nil && n > 0 {
			progress(total)
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// commit puts the finished temporary in place as cond allows.
func (b *Backend) commit(d *dir, tmpName, base, name string, cond backends.Condition) error {
	want, matches := cond.Expected()
	switch {
	case cond.WantsNothing():
		err := renameNoReplace(d, tmpName, d, base)
		if errors.Is(err, os.ErrExist) && d.removeEmptyDirInTheWay(base) {
			err = renameNoReplace(d, tmpName, d, base)
		}
		if errors.Is(err, os.ErrExist) {
			return b.conflict("store", name, d, base, cond)
		}
		return b.inTheWay(name, err)
	case matches:
		a, err := b.moveAside("store", name, d, base, want)
		if err != nil {
			return err
		}
		if err := a.spend(); err != nil {
			return a.putBack(err)
		}
		if err := renameNoReplace(d, tmpName, d, base); err != nil {
			// Another writer took the name meanwhile. The content we were
			// to replace is kept rather than lost.
			return a.putBack(backends.Errorf("store", name, backends.ErrConflict,
				"stored by someone else during the store (%v)", err))
		}
		a.discard()
		return nil
	default:
		err := moveEntry(d, tmpName, d, base)
		if isDirInTheWay(err) && d.removeEmptyDirInTheWay(base) {
			err = moveEntry(d, tmpName, d, base)
		}
		return b.inTheWay(name, err)
	}
}

// isDirInTheWay reports whether a rename failed because its destination is
// a directory.
func isDirInTheWay(err error) bool {
	return errors.Is(err, unix.EISDIR) || errors.Is(err, unix.ENOTEMPTY)
}

// removeEmptyDirInTheWay removes base when it is an empty directory, by one
// rmdir(2), which fails if anything is in it (a file written there
// meanwhile stays), and reports whether it did. An empty directory holds
// nothing anyone wrote; it is in the way of a file of git-annex's tree when
// an export removed the files it stored there but left the directory
// because another program's files were in it, which have since been moved
// away: git-annex does not ask again to remove the directory.
func (d *dir) removeEmptyDirInTheWay(base string) bool {
	st, err := d.lstat(base)
	if err != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return false
	}
	return d.rmdir(base) == nil
}

// inTheWay turns a rename onto a directory into a clear refusal.
func (b *Backend) inTheWay(name string, err error) error {
	if errors.Is(err, unix.EISDIR) || errors.Is(err, unix.ENOTEMPTY) {
		return backends.Errorf("store", name, backends.ErrRefused, "a directory is in the way, and not empty (move its files away): %w", err)
	}
	return err
}

// dirKey names one directory, not whatever is at its name later: a
// directory removed and made again is a new entry to commit. Filesystems
// reuse inode numbers at once; the generation (ext2/3/4, tmpfs) tells
// the uses apart.
type dirKey struct {
	name          string
	dev, ino, gen uint64
}

// fsIocGetVersion is FS_IOC_GETVERSION, _IOR('v', 1, long): the inode's
// generation.
const fsIocGetVersion = 0x80087601

// syncEntries commits the entries of d and of every directory above it:
// always when this store made some of them (created), else once per
// directory and process. Fsyncing d makes its files durable, not d itself:
// another process may have made d (or its parent) a moment ago and not yet
// fsynced the parent, and a crash would then take the file with the
// directory. Journalling filesystems order this for us; FAT and ext2 do
// not.
func (b *Backend) syncEntries(d *dir, created []string) error {
	if d.name == "" {
		return nil
	}
	var st unix.Stat_t
	if err := unix.Fstat(d.fd, &st); err != nil {
		return d.pathError("stat", "", err)
	}
	gen, _ := unix.IoctlGetInt(d.fd, fsIocGetVersion) // 0 where unsupported
	key := dirKey{d.name, st.Dev, st.Ino, uint64(gen)}
	if _, known := b.durable.Load(key); known && len(created) == 0 {
		return nil
	}
	for name := d.name; name != ""; {
		name, _ = split(name)
		parent, err := b.openDir(name)
		if err != nil {
			return err
		}
		err = parent.sync()
		parent.close()
		if err != nil {
			return err
		}
	}
	b.durable.Store(key, struct{}{})
	return nil
}

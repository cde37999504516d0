package directory

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
	"golang.org/x/sys/unix"
)

// An aside file holds the content a conditional operation moved out of a
// name's way: "<asidePrefix><random>-<base>", in base's own directory, while
// the operation checks it and until it puts it back or acts on it. Once the
// operation has checked that it may replace the content, the file is
// renamed to "<spentPrefix><random>-<base>" before anything is put under
// base. The operation holds a flock on the file throughout, so that Sweep,
// in any process, knows a dead operation's files from a live one's and
// recovers them (see sweepAside): each goes back under base if base is
// free; otherwise a spent file is deleted (what replaced it is in place)
// and an aside file is kept. A base too long to fit in the file's name
// (over 194 bytes) is recorded on the file itself, in an extended
// attribute committed before the move; without one, such a file is kept
// for a person to look at.
type aside struct {
	b    *Backend
	d    *dir
	base string // the name it came from
	name string // its name now
	lock *os.File
}

func asideName(prefix, random, base string) string {
	if len(spentPrefix)+len(random)+1+len(base) > maxNameLen {
		return prefix + random
	}
	return prefix + random + "-" + base
}

// maxNameLen is NAME_MAX on Linux filesystems.
const maxNameLen = 255

// originAttr records, on an aside or spent file whose name cannot carry
// it, the base it was moved from.
const originAttr = "user.git-annex-exporttree.origin"

// asideOrigin parses an aside or spent file's name. base is "" with ok
// true for a name too short to carry it: the file records it (originAttr).
func asideOrigin(name string) (spent bool, base string, ok bool) {
	rest, isAside := strings.CutPrefix(name, asidePrefix)
	if !isAside {
		if rest, spent = strings.CutPrefix(name, spentPrefix); !spent {
			return false, "", false
		}
	}
	if len(rest) == 2*randomBytes {
		return spent, "", true
	}
	random, base, ok := strings.Cut(rest, "-")
	if !ok || len(random) != 2*randomBytes || base == "" {
		return spent, "", false
	}
	return spent, base, true
}

// recordOrigin writes base on the file a is about to move aside under a
// name without it, and commits it first, so that a sweep after a crash
// finds where the file goes back.
func (a *aside) recordOrigin() error {
	if a.lock == nil {
		return errors.New("it may not be read, so where it comes from cannot be recorded on it")
	}
	fd := int(a.lock.Fd())
	if err := unix.Fsetxattr(fd, originAttr, []byte(a.base), 0); err != nil {
		return fmt.Errorf("recording where it comes from: %w", err)
	}
	return unix.Fsync(fd)
}

// recordedOrigin returns the base recorded on the file fd, if it is a name
// in the file's own directory.
func recordedOrigin(fd int) string {
	value, err := readAttr(func(buf []byte) (int, error) { return unix.Fgetxattr(fd, originAttr, buf) })
	base := string(value)
	if err != nil || base == "" || base == "." || base == ".." || strings.ContainsAny(base, "/\x00") {
		return ""
	}
	return base
}

// moveAside atomically moves base out of the way to a new aside file and
// returns it, when what it moved is the regular file with CID want.
// Otherwise it fails with [backends.ErrConflict] naming what it found, and
// what it moved goes back; if it cannot go back (another writer took the
// name), it stays under its aside name, which the error reports. The
// caller must end the aside with discard, spend and discard, or putBack.
func (b *Backend) moveAside(op, name string, d *dir, base string, want backends.CID) (*aside, error) {
	// Look first: most mismatches need no rename, and moving a directory
	// aside would hide a whole subtree for a moment.
	st, err := d.lstat(base)
	if err == nil {
		err = b.mismatch(op, name, &st, want)
	}
	if err != nil {
		return nil, b.absentIsConflict(op, name, want, err)
	}
	if err := b.live(); err != nil {
		return nil, err
	}
	lock, err := d.lockFile(base)
	if errors.Is(err, unix.EWOULDBLOCK) {
		return nil, backends.Errorf(op, name, backends.ErrConflict, "another operation of this program is acting on it")
	}
	if err != nil {
		return nil, b.absentIsConflict(op, name, want, err)
	}
	if testHookBeforeAside != nil {
		testHookBeforeAside(d, base)
	}
	a := &aside{b: b, d: d, base: base, name: asideName(asidePrefix, randomHex(), base), lock: lock}
	if !strings.HasSuffix(a.name, "-"+base) {
		if err := a.recordOrigin(); err != nil {
			a.release()
			return nil, backends.Errorf(op, name, nil, "cannot move it aside safely: %w", err)
		}
	}
	if err := renameNoReplace(d, base, d, a.name); err != nil {
		a.release()
		return nil, b.absentIsConflict(op, name, want, err)
	}
	st, err = d.lstat(a.name)
	if err == nil {
		err = b.mismatch(op, name, &st, want)
	}
	if err == nil && !b.opts.IgnoreInodes && !a.locks(&st) {
		err = backends.Errorf(op, name, backends.ErrConflict, "replaced while it was being moved aside")
	}
	if err == nil {
		reached(StepAside)
		return a, nil
	}
	// It changed between the look and the move.
	return nil, a.putBack(err)
}

// locks reports whether the lock is on the file st describes.
func (a *aside) locks(st *unix.Stat_t) bool {
	if a.lock == nil {
		return true // a file we may not read is not locked
	}
	var mine unix.Stat_t
	return unix.Fstat(int(a.lock.Fd()), &mine) == nil && mine.Dev == st.Dev && mine.Ino == st.Ino
}

// spend marks the aside content as checked and about to be replaced.
func (a *aside) spend() error {
	random := strings.TrimPrefix(a.name, asidePrefix)
	random, _, _ = strings.Cut(random, "-")
	spent := asideName(spentPrefix, random, a.base)
	if err := renameNoReplace(a.d, a.name, a.d, spent); err != nil {
		return err
	}
	a.name = spent
	reached(StepSpent)
	return nil
}

// discard removes the aside content: what the operation replaced or
// removed. One that cannot be removed is clutter, not a failure; the next
// Sweep removes it.
func (a *aside) discard() {
	reached(StepReplaced)
	if err := a.d.unlink(a.name); err != nil {
		a.b.leftBehind()
	}
	a.release()
}

// putBack returns the content under base, after err made the operation
// give up. When base has been taken meanwhile it stays under an aside
// name (not a spent one: nothing replaced it), which the error reports.
func (a *aside) putBack(err error) error {
	defer a.release()
	perr := renameNoReplace(a.d, a.name, a.d, a.base)
	if perr == nil {
		a.forgetOrigin()
		return err
	}
	if strings.HasPrefix(a.name, spentPrefix) {
		kept := asideName(asidePrefix, randomHex(), a.base)
		if renameNoReplace(a.d, a.name, a.d, kept) == nil {
			a.name = kept
		}
	}
	if err == nil {
		return fmt.Errorf("moved aside, it could not be put back (%v) and is kept as %q", perr, a.d.path(a.name))
	}
	return fmt.Errorf("%w; it could not be put back (%v) and is kept as %q", err, perr, a.d.path(a.name))
}

// sweepAside recovers the aside or spent file entry if the operation that
// made it is dead (no flock on it): back under its name if that is free;
// else a spent file is deleted and an aside file kept. It reports whether
// the file was deleted.
func (d *dir) sweepAside(entry string) (deleted bool, err error) {
	spent, base, ok := asideOrigin(entry)
	if !ok {
		return false, nil // no name to go back to: kept for a person
	}
	if st, err := d.lstat(entry); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return false, err // not one of ours
	}
	lock, err := d.lockFile(entry)
	if testHookLockAside != nil && err == nil && lock != nil {
		if err = testHookLockAside(lock); err != nil {
			lock.Close()
			lock = nil
		}
	}
	if errors.Is(err, unix.EWOULDBLOCK) || err == nil && lock == nil {
		return false, nil // a live operation's, or one we may not read
	}
	if err != nil {
		// The caller must not end the dead session: its record is what
		// makes a later sweep look here again.
		return false, err
	}
	defer lock.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(lock.Fd()), &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return false, err
	}
	if base == "" {
		if base = recordedOrigin(int(lock.Fd())); base == "" {
			return false, nil // no name to go back to: kept for a person
		}
	}
	err = renameNoReplace(d, entry, d, base)
	if errors.Is(err, os.ErrExist) && spent {
		return true, d.unlink(entry)
	}
	if errors.Is(err, os.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	unix.Fremovexattr(int(lock.Fd()), originAttr) // someone's file again
	return false, d.sync()
}

// testHookBeforeAside, when set by a test, runs in moveAside between the
// check of what is under base and the move: where another writer can
// replace it.
var testHookBeforeAside func(d *dir, base string)

// testHookLockAside, when set by a test, can fail sweepAside's lock of a
// dead operation's file as a full descriptor table would.
var testHookLockAside func(lock *os.File) error

// forgetOrigin removes the record of where a put-back file came from, if
// there is one: it is someone's file again.
func (a *aside) forgetOrigin() {
	if a.lock != nil {
		unix.Fremovexattr(int(a.lock.Fd()), originAttr)
	}
}

func (a *aside) release() {
	if a.lock != nil {
		a.lock.Close()
	}
}

func (b *Backend) absentIsConflict(op, name string, want backends.CID, err error) error {
	if errors.Is(err, os.ErrNotExist) {
		return backends.Conflict(op, name, backends.Matches(want), "", false)
	}
	return err
}

// mismatch returns the conflict when st is not the regular file with CID
// want.
func (b *Backend) mismatch(op, name string, st *unix.Stat_t, want backends.CID) error {
	cond := backends.Matches(want)
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		if got := b.cid(st); got != want {
			return backends.Conflict(op, name, cond, got, true)
		}
		return nil
	case unix.S_IFDIR:
		return backends.Errorf(op, name, backends.ErrConflict, "found a directory, %s", cond)
	}
	return backends.Errorf(op, name, backends.ErrConflict, "found something that is not a regular file, %s", cond)
}

// conflict reports a failed condition, naming what is under base now. A
// directory holds no content (Stat finds nothing there), so it is no
// conflict with what the caller expected, but a refusal, as for a store
// without a condition.
func (b *Backend) conflict(op, name string, d *dir, base string, cond backends.Condition) error {
	st, err := d.lstat(base)
	if err != nil {
		return backends.Conflict(op, name, cond, "", false)
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return backends.Errorf(op, name, backends.ErrRefused, "a directory is in the way, and not empty (move its files away)")
	}
	return backends.Conflict(op, name, cond, b.cid(&st), true)
}

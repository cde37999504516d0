package directory

import (
	"context"
	"errors"
	"io/fs"
	"strings"

	"golang.org/x/sys/unix"
)

// Sweep cleans up after processes that died: it removes the temporaries of
// stores, those no process holds a flock on, whatever their age (createTemp
// makes sure a store never writes into a temporary swept before it locked
// it), and recovers the aside files of conditional operations (see
// aside.go): content goes back under its name, or is deleted when what
// replaced it is in place.
//
// It walks the tree only when a writer died (see session.go).
func (b *Backend) Sweep(ctx context.Context) error {
	if err := b.reachable("sweep", ""); err != nil {
		return err
	}
	dead, names, err := b.deadSessions()
	if err != nil {
		return b.fail("sweep", LiveDir, err)
	}
	defer closeAll(dead) // after their files are gone: nobody takes them meanwhile
	if len(dead) == 0 {
		// A writer killed before it made its session file leaves the
		// live directory empty.
		b.removeEmptyDir(LiveDir)
		return nil
	}
	if err := b.sweepTree(ctx); err != nil {
		return err
	}
	if err := b.endDeadSessions(names); err != nil {
		return b.fail("sweep", LiveDir, err)
	}
	b.removeEmptyDir(LiveDir) // unless others live
	return nil
}

// sweepTree walks the whole tree for leftovers.
func (b *Backend) sweepTree(ctx context.Context) error {
	d, err := b.openDir("")
	if err != nil {
		return b.fail("sweep", "", err)
	}
	defer d.close()
	return b.walk(ctx, d, func(d *dir, base string) error {
		var swept bool
		var err error
		switch {
		case strings.HasPrefix(base, tmpPrefix):
			swept, err = d.sweepTemp(base)
		case strings.HasPrefix(base, asidePrefix), strings.HasPrefix(base, spentPrefix):
			swept, err = d.sweepAside(base)
		default:
			return nil
		}
		if errors.Is(err, fs.ErrNotExist) {
			return nil // its store finished or failed meanwhile
		}
		if swept {
			// A dead store leaves the directories it made; they go when
			// empty, as they would have after its failure.
			b.prune(d.name)
		}
		return b.fail("sweep", d.path(base), err)
	}, false)
}

// sweepTemp removes the temporary base if it is unlocked.
// Holding the lock while unlinking means its store is dead: a live store
// keeps its lock until after its rename, and names are never reused.
func (d *dir) sweepTemp(base string) (swept bool, err error) {
	st, err := d.lstat(base)
	if err != nil {
		return false, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return false, nil
	}
	fd, err := unix.Openat(d.fd, base, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return false, d.pathError("open", base, err)
	}
	defer unix.Close(fd)
	if err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB); err != nil {
		if errors.Is(err, unix.EWOULDBLOCK) {
			return false, nil // a live store
		}
		return false, d.pathError("flock", base, err)
	}
	if err := d.unlink(base); err != nil {
		return false, err
	}
	return true, nil
}

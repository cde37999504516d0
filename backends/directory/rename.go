package directory

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
	"golang.org/x/sys/unix"
)

// Rename moves the file under from to to, as cond allows what is under from
// and toCond what is under to, creating to's missing directories and
// removing those it leaves empty under from. Both checks are atomic with
// the rename (see [Backend.place] for to).
func (b *Backend) Rename(ctx context.Context, from, to string, cond, toCond backends.Condition) error {
	if err := b.check("rename", from, to); err != nil {
		return err
	}
	return b.fail("rename", from, b.rename(from, to, cond, toCond))
}

func (b *Backend) rename(from, to string, cond, toCond backends.Condition) error {
	fromDir, fromBase := split(from)
	want, matches := cond.Expected()
	src, err := b.openDir(fromDir)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, unix.ENOTDIR) {
		if matches {
			return backends.Conflict("rename", from, cond, "", false)
		}
		return backends.Errorf("rename", from, backends.ErrNotFound, "nothing stored")
	}
	if err != nil {
		return err
	}
	defer src.close()

	srcBase := fromBase
	var srcAside *aside
	if matches {
		srcAside, err = b.moveAside("rename", from, src, fromBase, want)
		if err != nil {
			return err
		}
		defer srcAside.release()
		srcBase = srcAside.name
	} else {
		st, err := src.lstat(fromBase)
		if err == nil {
			err = src.regular(fromBase, &st)
			if err == nil && cond.WantsNothing() {
				return backends.Conflict("rename", from, cond, b.cid(&st), true)
			}
		}
		if err != nil {
			return err
		}
	}
	// putBack undoes the move aside when the rename cannot go on.
	putBack := func(err error) error {
		if srcAside != nil {
			return srcAside.putBack(err)
		}
		return err
	}
	if from == to {
		// The content under to is the one under from.
		st, err := src.lstat(srcBase)
		if err == nil && !toCond.Allows(b.cid(&st), true) {
			err = backends.Conflict("rename", to, toCond, b.cid(&st), true)
		}
		return putBack(err)
	}

	toDir, toBase := split(to)
	for attempt := 1; ; attempt++ {
		dst, created, err := b.makeDir(toDir)
		if errors.Is(err, unix.ENOTDIR) {
			// Not ErrNotFound, which would say from is absent.
			return putBack(backends.Errorf("rename", from, nil, "to %q: cannot create directory %q: a file is in the way", to, toDir))
		}
		if err != nil {
			return putBack(fmt.Errorf("to %q: %w", to, err))
		}
		err = b.place(src, srcBase, dst, toBase, to, toCond)
		if err == nil {
			err = dst.sync()
			if err == nil && dst.name != src.name {
				err = src.sync()
			}
			if err == nil {
				err = b.syncEntries(dst, created)
			}
			dst.close()
			if err != nil {
				return err
			}
			break
		}
		dst.close()
		b.removeCreated(created)
		// ENOENT with the source present: a concurrent Remove pruned the
		// destination directory after makeDir; make it again.
		if _, serr := src.lstat(srcBase); errors.Is(err, fs.ErrNotExist) && serr == nil && attempt < createAttempts {
			continue
		}
		if errors.Is(err, unix.EISDIR) || errors.Is(err, unix.ENOTEMPTY) {
			err = backends.Errorf("rename", from, backends.ErrRefused, "to %q: a directory is in the way, and not empty (move its files away)", to)
		}
		return putBack(err)
	}
	b.prune(fromDir)
	return nil
}

// place moves src's srcBase to dst's toBase as toCond allows what is there,
// checked atomically by the rename itself: with RENAME_NOREPLACE for
// [backends.NothingThere]; for [backends.Matches], by moving the matching
// file aside first (so no other writer's file can be replaced), renaming
// with RENAME_NOREPLACE, and then removing what was moved aside. When a
// writer takes toBase in between, the rename fails, what was moved aside
// goes back if it can, and otherwise stays under its aside name, which
// the error reports.
func (b *Backend) place(src *dir, srcBase string, dst *dir, toBase, to string, toCond backends.Condition) error {
	want, matches := toCond.Expected()
	switch {
	case toCond.WantsNothing():
		err := renameNoReplace(src, srcBase, dst, toBase)
		if errors.Is(err, fs.ErrExist) && dst.removeEmptyDirInTheWay(toBase) {
			err = renameNoReplace(src, srcBase, dst, toBase)
		}
		if errors.Is(err, fs.ErrExist) {
			return b.conflict("rename", to, dst, toBase, toCond)
		}
		return err
	case matches:
		a, err := b.moveAside("rename", to, dst, toBase, want)
		if err != nil {
			return err
		}
		err = a.spend()
		if err == nil {
			err = renameNoReplace(src, srcBase, dst, toBase)
		}
		if err == nil {
			a.discard()
			return nil
		}
		if errors.Is(err, fs.ErrExist) {
			// Someone else stored there during the rename.
			err = b.conflict("rename", to, dst, toBase, toCond)
		}
		return a.putBack(err)
	default:
		err := moveEntry(src, srcBase, dst, toBase)
		if isDirInTheWay(err) && dst.removeEmptyDirInTheWay(toBase) {
			err = moveEntry(src, srcBase, dst, toBase)
		}
		return err
	}
}

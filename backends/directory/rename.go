package directory

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
	"golang.org/x/sys/unix"
)

// Rename moves the file under from to to, as cond (checked against from)
// allows, replacing what is at to, creating to's missing directories and
// removing those it leaves empty under from.
func (b *Backend) Rename(ctx context.Context, from, to string, cond backends.Condition) error {
	if err := b.check("rename", from, to); err != nil {
		return err
	}
	return b.fail("rename", from, b.rename(from, to, cond))
}

func (b *Backend) rename(from, to string, cond backends.Condition) error {
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
	if matches {
		aside, err := b.moveAside("rename", from, src, fromBase, want)
		if err != nil {
			return err
		}
		srcBase = aside
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
		if srcBase != fromBase {
			if perr := renameNoReplace(src, srcBase, src, fromBase); perr != nil {
				return fmt.Errorf("%w; the content is kept as %q, as putting it back failed: %v", err, src.path(srcBase), perr)
			}
		}
		return err
	}
	if from == to {
		return putBack(nil)
	}

	toDir, toBase := split(to)
	for attempt := 1; ; attempt++ {
		dst, created, err := b.makeDir(toDir)
		if err != nil {
			return putBack(fmt.Errorf("to %q: %w", to, err))
		}
		err = moveEntry(src, srcBase, dst, toBase)
		if err == nil {
			err = dst.sync()
			if err == nil && dst.name != src.name {
				err = src.sync()
			}
			if err == nil {
				err = b.syncCreated(created)
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
			err = backends.Errorf("rename", from, backends.ErrRefused, "to %q: a directory is in the way", to)
		}
		return putBack(err)
	}
	b.prune(fromDir)
	return nil
}

package directory

import (
	"context"
	"errors"
	"io/fs"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
	"golang.org/x/sys/unix"
)

// Remove removes the file under name as cond allows, then the directories
// that leaves empty. A directory under name means no file is stored there:
// an absent name.
func (b *Backend) Remove(ctx context.Context, name string, cond backends.Condition) error {
	if err := b.check("remove", name); err != nil {
		return err
	}
	return b.fail("remove", name, b.remove(name, cond))
}

func (b *Backend) remove(name string, cond backends.Condition) error {
	dirName, base := split(name)
	want, matches := cond.Expected()
	d, err := b.openDir(dirName)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, unix.ENOTDIR) {
		if matches {
			return backends.Conflict("remove", name, cond, "", false)
		}
		return nil
	}
	if err != nil {
		return err
	}
	defer d.close()
	switch {
	case matches:
		a, err := b.moveAside("remove", name, d, base, want)
		if err != nil {
			return err
		}
		if err := d.unlink(a.name); err != nil {
			return a.putBack(err) // the name must not stay empty
		}
		a.release()
	case cond.WantsNothing():
		st, err := d.lstat(base)
		if err == nil && st.Mode&unix.S_IFMT != unix.S_IFDIR {
			return backends.Conflict("remove", name, cond, b.cid(&st), true)
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	default:
		err := d.unlink(base)
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, unix.EISDIR) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	if err := d.sync(); err != nil {
		return err
	}
	b.prune(dirName)
	return nil
}

// RemoveDir removes the directory dir and everything below it, then the
// directories that leaves empty. An absent directory is success; a file or
// symbolic link under that name is refused.
func (b *Backend) RemoveDir(ctx context.Context, dirName string) error {
	if err := b.check("remove directory", dirName); err != nil {
		return err
	}
	return b.fail("remove directory", dirName, b.removeDir(dirName))
}

func (b *Backend) removeDir(dirName string) error {
	d, _, err := b.openDirEntry("remove directory", dirName)
	if d == nil || err != nil {
		return err
	}
	defer d.close()
	// RemoveAll never follows a symbolic link, and the root confines it.
	if err := b.root.RemoveAll(dirName); err != nil {
		return err
	}
	if err := d.sync(); err != nil {
		return err
	}
	b.prune(d.name)
	return nil
}

// openDirEntry opens the parent of the directory dirName for op. It returns
// a nil parent when there is no such directory, and refuses a file or
// symbolic link under that name.
func (b *Backend) openDirEntry(op, dirName string) (*dir, string, error) {
	parent, base := split(dirName)
	d, err := b.openDir(parent)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, unix.ENOTDIR) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	st, err := d.lstat(base)
	if err == nil && st.Mode&unix.S_IFMT != unix.S_IFDIR {
		err = backends.Errorf(op, dirName, backends.ErrRefused, "not a directory")
	}
	if err != nil {
		d.close()
		if errors.Is(err, fs.ErrNotExist) {
			err = nil
		}
		return nil, "", err
	}
	return d, base, nil
}

// RemoveEmptyDir removes the directory dir if it is empty, then the
// directories that leaves empty. rmdir(2) checks and removes in one step, so
// a file created in it meanwhile is never lost: the removal fails instead.
// A temporary of a store in progress counts as content.
func (b *Backend) RemoveEmptyDir(ctx context.Context, dirName string) error {
	if err := b.check("remove empty directory", dirName); err != nil {
		return err
	}
	return b.fail("remove empty directory", dirName, b.removeEmptyDirOnly(dirName))
}

func (b *Backend) removeEmptyDirOnly(dirName string) error {
	d, base, err := b.openDirEntry("remove empty directory", dirName)
	if d == nil || err != nil {
		return err
	}
	defer d.close()
	err = d.rmdir(base)
	if errors.Is(err, unix.ENOTEMPTY) || errors.Is(err, unix.EEXIST) {
		return backends.Errorf("remove empty directory", dirName, backends.ErrConflict, "not empty")
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := d.sync(); err != nil {
		return err
	}
	b.prune(d.name)
	return nil
}

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
		aside, err := b.moveAside("remove", name, d, base, want)
		if err != nil {
			return err
		}
		err = d.unlink(aside)
		if err != nil {
			return err
		}
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
	parent, base := split(dirName)
	d, err := b.openDir(parent)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, unix.ENOTDIR) {
		return nil
	}
	if err != nil {
		return err
	}
	defer d.close()
	st, err := d.lstat(base)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return backends.Errorf("remove directory", dirName, backends.ErrRefused, "not a directory")
	}
	// RemoveAll never follows a symbolic link, and the root confines it.
	if err := b.root.RemoveAll(dirName); err != nil {
		return err
	}
	if err := d.sync(); err != nil {
		return err
	}
	b.prune(parent)
	return nil
}

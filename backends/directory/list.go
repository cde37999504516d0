package directory

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"strings"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
	"golang.org/x/sys/unix"
)

// readBatch bounds the directory entries held per level of the walk.
const readBatch = 256

// List walks the tree under prefix depth first. It holds one open
// directory and one batch of entries per level, never the whole listing.
// Reserved names, symbolic links and anything but regular files are
// skipped; so are names removed while the walk runs.
func (b *Backend) List(ctx context.Context, prefix string, fn func(backends.Info) error) error {
	return b.list(ctx, prefix, fn, true)
}

// ListUnlabeled is List without reading labels: one lstat per file.
func (b *Backend) ListUnlabeled(ctx context.Context, prefix string, fn func(backends.Info) error) error {
	return b.list(ctx, prefix, fn, false)
}

func (b *Backend) list(ctx context.Context, prefix string, fn func(backends.Info) error, labels bool) error {
	if prefix != "" {
		if err := b.check("list", prefix); err != nil {
			return err
		}
		if backends.Reserved(prefix) {
			return nil
		}
	} else if err := b.reachable("list", prefix); err != nil {
		return err
	}
	d, err := b.openDir(prefix)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, unix.ENOTDIR) {
		return b.fail("list", prefix, b.reachable("list", prefix))
	}
	if err != nil {
		return b.fail("list", prefix, err)
	}
	defer d.close()
	return b.walk(ctx, d, func(d *dir, base string) error {
		if strings.HasPrefix(base, backends.ReservedPrefix) {
			return nil
		}
		info, err := b.describe(d, base, labels)
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, errNotRegular) {
			return nil
		}
		if err != nil {
			return b.fail("list", d.path(base), err)
		}
		info.Name = d.path(base)
		return fn(info)
	}, true)
}

// walk calls visit for every entry below d that is not a directory,
// descending into real directories only (never through symbolic links),
// and into reserved ones only when skipReserved is false.
func (b *Backend) walk(ctx context.Context, d *dir, visit func(d *dir, base string) error, skipReserved bool) error {
	for {
		entries, err := d.readDir(readBatch)
		for _, e := range entries {
			if err := ctx.Err(); err != nil {
				return err
			}
			base := e.Name()
			if e.Type()&fs.ModeType != fs.ModeDir {
				if err := visit(d, base); err != nil {
					return err
				}
				continue
			}
			if skipReserved && strings.HasPrefix(base, backends.ReservedPrefix) {
				continue
			}
			sub, err := d.subdir(base)
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.ELOOP) {
				continue // gone or replaced meanwhile
			}
			if err != nil {
				return b.fail("list", d.path(base), err)
			}
			err = b.walk(ctx, sub, visit, skipReserved)
			sub.close()
			if err != nil {
				return err
			}
		}
		if err == io.EOF || (err == nil && len(entries) == 0) || errors.Is(err, fs.ErrNotExist) {
			return nil // done, or the directory was removed meanwhile
		}
		if err != nil {
			return b.fail("list", d.name, err)
		}
	}
}

// subdir opens the directory base below d, refusing a symbolic link.
func (d *dir) subdir(base string) (*dir, error) {
	fd, err := unix.Openat(d.fd, base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, d.pathError("open", base, err)
	}
	return &dir{fd: fd, name: d.path(base)}, nil
}

package backends

import (
	"context"
	"errors"
)

// RemoveDir removes the directory dir and every name below it, through b's
// [DirRemover] when b implements one. An absent directory is success.
//
// Otherwise it falls back to [Drain], removing each name unconditionally.
// Reserved names (see [Reserved]) are never listed, so the fallback leaves
// them in place.
func RemoveDir(ctx context.Context, b Backend, dir string) error {
	if d, ok := b.(DirRemover); ok {
		return d.RemoveDir(ctx, dir)
	}
	if err := ValidName(dir); err != nil {
		err.(*Error).Op = "remove directory"
		return err
	}
	return Drain(ctx, b, dir, nil, func(batch []Info) ([]string, error) {
		for _, info := range batch {
			if err := b.Remove(ctx, info.Name, Unconditional); err != nil {
				return nil, err
			}
		}
		return nil, nil
	})
}

// RemoveEmptyDir removes the directory dir only if nothing is in it, through
// b's [EmptyDirRemover] when b implements one; an absent directory is
// success, and a directory that holds anything fails with [ErrConflict]
// naming what is there.
//
// Otherwise directories exist only as the names under them (as on S3), and
// it only checks that nothing is listed under dir: there is nothing to
// remove.
func RemoveEmptyDir(ctx context.Context, b Backend, dir string) error {
	if d, ok := b.(EmptyDirRemover); ok {
		return d.RemoveEmptyDir(ctx, dir)
	}
	if err := ValidName(dir); err != nil {
		err.(*Error).Op = "remove empty directory"
		return err
	}
	errHolds := errors.New("holds")
	var first string
	err := b.List(ctx, dir, func(info Info) error {
		first = info.Name
		return errHolds
	})
	if errors.Is(err, errHolds) {
		return Errorf("remove empty directory", dir, ErrConflict, "not empty: it holds %q", first)
	}
	return err
}

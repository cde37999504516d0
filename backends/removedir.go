package backends

import (
	"context"
	"errors"
)

// removeBatch bounds the names the [RemoveDir] fallback holds at once.
const removeBatch = 1000

var errBatchFull = errors.New("batch full")

// RemoveDir removes the directory dir and every name below it, through b's
// [DirRemover] when b implements one. An absent directory is success.
//
// Otherwise it falls back to listing up to a thousand names under dir,
// removing each unconditionally, and repeating until the listing is empty.
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
	for {
		batch := make([]string, 0, removeBatch)
		err := b.List(ctx, dir, func(info Info) error {
			batch = append(batch, info.Name)
			if len(batch) == removeBatch {
				return errBatchFull
			}
			return nil
		})
		if err != nil && !errors.Is(err, errBatchFull) {
			return err
		}
		for _, name := range batch {
			if err := b.Remove(ctx, name, Unconditional); err != nil {
				return err
			}
		}
		if len(batch) < removeBatch {
			return nil
		}
	}
}

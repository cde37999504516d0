package directory

import (
	"errors"
	"io/fs"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
	"golang.org/x/sys/unix"
)

// classify maps a filesystem error onto a class; nil is "other" (ENOSPC,
// EIO and the like, whose own messages are clear).
func classify(err, escapes error) error {
	switch {
	case escapes != nil && errors.Is(err, escapes):
		return backends.ErrRefused
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, unix.ENOTDIR):
		// ENOTDIR: a file where a directory would be; nothing is under it.
		return backends.ErrNotFound
	case errors.Is(err, fs.ErrExist):
		return backends.ErrConflict
	case errors.Is(err, fs.ErrPermission):
		return backends.ErrRefused
	case errors.Is(err, errNotRegular), errors.Is(err, unix.ELOOP), errors.Is(err, unix.ENAMETOOLONG), errors.Is(err, unix.EILSEQ), errors.Is(err, unix.EINVAL):
		// A symbolic link not followed, or a name this filesystem cannot hold.
		return backends.ErrRefused
	}
	return nil
}

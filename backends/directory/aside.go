package directory

import (
	"errors"
	"fmt"
	"os"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
	"golang.org/x/sys/unix"
)

// moveAside atomically moves base out of the way to a new aside name and
// returns that name, when what it moved is the regular file with CID want.
// Otherwise it fails with [backends.ErrConflict] naming what it found, and
// what it moved goes back; if it cannot go back (another writer took the
// name), it stays under the aside name, which the error reports.
func (b *Backend) moveAside(op, name string, d *dir, base string, want backends.CID) (string, error) {
	// Look first: most mismatches need no rename, and moving a directory
	// aside would hide a whole subtree for a moment.
	st, err := d.lstat(base)
	if err == nil {
		err = b.mismatch(op, name, &st, want)
	}
	if err != nil {
		return "", b.absentIsConflict(op, name, want, err)
	}
	aside := randomName(asidePrefix)
	if err := renameNoReplace(d, base, d, aside); err != nil {
		return "", b.absentIsConflict(op, name, want, err)
	}
	st, err = d.lstat(aside)
	if err == nil {
		err = b.mismatch(op, name, &st, want)
	}
	if err == nil {
		return aside, nil
	}
	// It changed between the look and the move.
	if perr := renameNoReplace(d, aside, d, base); perr != nil {
		return "", fmt.Errorf("%w; it could not be put back (%v) and is kept as %q", err, perr, d.path(aside))
	}
	return "", err
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

// conflict reports a failed condition, naming what is under base now.
func (b *Backend) conflict(op, name string, d *dir, base string, cond backends.Condition) error {
	st, err := d.lstat(base)
	if err != nil {
		return backends.Conflict(op, name, cond, "", false)
	}
	return backends.Conflict(op, name, cond, b.cid(&st), true)
}

package directory

import (
	"context"
	"fmt"
	"io"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
	"golang.org/x/sys/unix"
)

// Retrieve copies the file under name to w. The CID is taken from the open
// file before and after the copy: a file replaced by rename keeps its old
// bytes on the open descriptor, and one modified in place shows a new CID.
func (b *Backend) Retrieve(ctx context.Context, name string, pin backends.CID, w io.Writer) (backends.CID, error) {
	if err := b.check("retrieve", name); err != nil {
		return "", err
	}
	cid, err := b.retrieve(name, pin, w)
	return cid, b.fail("retrieve", name, err)
}

func (b *Backend) retrieve(name string, pin backends.CID, w io.Writer) (backends.CID, error) {
	dirName, base := split(name)
	d, err := b.openDir(dirName)
	if err != nil {
		return "", err
	}
	defer d.close()
	f, st, err := d.openFile(base)
	if err != nil {
		return "", err
	}
	defer f.Close()
	cid := b.cid(&st)
	if pin != "" && pin != cid {
		return "", backends.Conflict("retrieve", name, backends.Matches(pin), cid, true)
	}
	if _, err := io.Copy(w, f); err != nil {
		// Neither side's failure says anything about the name.
		return "", &backends.Error{Op: "retrieve", Name: name, Err: fmt.Errorf("copying: %w", err)}
	}
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return "", err
	}
	if after := b.cid(&st); after != cid {
		return "", backends.Errorf("retrieve", name, backends.ErrConflict, "modified during the read (%s, then %s)", cid, after)
	}
	return cid, nil
}

// Stat describes the file under name.
func (b *Backend) Stat(ctx context.Context, name string) (backends.Info, error) {
	if err := b.check("stat", name); err != nil {
		return backends.Info{}, err
	}
	dirName, base := split(name)
	d, err := b.openDir(dirName)
	if err != nil {
		return backends.Info{}, b.fail("stat", name, err)
	}
	defer d.close()
	info, err := b.describe(d, base, true)
	info.Name = name
	return info, b.fail("stat", name, err)
}

// describe returns what the regular file base holds, with its label when
// the file can be read.
func (b *Backend) describe(d *dir, base string, label bool) (backends.Info, error) {
	st, err := d.lstat(base)
	if err == nil {
		err = d.regular(base, &st)
	}
	if err != nil {
		return backends.Info{}, err
	}
	if !label {
		return backends.Info{Size: st.Size, CID: b.cid(&st)}, nil
	}
	if label, ok := readLabelAt(d.fd, base, &st); ok {
		return backends.Info{Size: st.Size, CID: b.cid(&st), Label: label}, nil
	}
	fd, err := d.openLooked(base, &st)
	if err != nil {
		// An unreadable file still has a size and a CID.
		if st, lerr := d.lstat(base); lerr == nil && d.regular(base, &st) == nil {
			return backends.Info{Size: st.Size, CID: b.cid(&st)}, nil
		}
		return backends.Info{}, err
	}
	defer unix.Close(fd)
	return backends.Info{Size: st.Size, CID: b.cid(&st), Label: readLabel(fd, stamp(&st))}, nil
}

package directory

import (
	"errors"
	"strings"

	"golang.org/x/sys/unix"
)

const labelAttr = "user.git-annex-exporttree.label"

// setLabel records label on the file fd, tied to its stamp so that a later
// modification by another program disowns it. Filesystems without user
// extended attributes record nothing.
func setLabel(fd int, stamp, label string) error {
	err := unix.Fsetxattr(fd, labelAttr, []byte(stamp+" "+label), 0)
	if errors.Is(err, unix.ENOTSUP) || errors.Is(err, unix.EOPNOTSUPP) {
		return nil
	}
	return err
}

// readLabel returns the label recorded on fd if the file still has stamp,
// else "".
func readLabel(fd int, stamp string) string {
	var buf [1024]byte
	n, err := unix.Fgetxattr(fd, labelAttr, buf[:])
	if errors.Is(err, unix.ERANGE) {
		// Longer than any label we record; grow once.
		if n, err = unix.Fgetxattr(fd, labelAttr, nil); err == nil {
			big := make([]byte, n)
			if n, err = unix.Fgetxattr(fd, labelAttr, big); err == nil {
				return matchLabel(string(big[:n]), stamp)
			}
		}
	}
	if err != nil {
		return ""
	}
	return matchLabel(string(buf[:n]), stamp)
}

func matchLabel(value, stamp string) string {
	recorded, label, ok := strings.Cut(value, " ")
	if !ok || recorded != stamp {
		return ""
	}
	return label
}

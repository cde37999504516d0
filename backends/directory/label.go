package directory

import (
	"bytes"
	"errors"
	"runtime"
	"sync/atomic"
	"unsafe"

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
	value, err := readAttr(func(buf []byte) (int, error) { return unix.Fgetxattr(fd, labelAttr, buf) })
	if err != nil {
		return ""
	}
	return matchLabel(value, []byte(stamp))
}

// readLabelAt returns the label recorded on the file base in the directory
// dirfd if it has the stamp of st, else "", without opening the file: one
// getxattrat(2) (Linux 6.13) instead of an open, an fstat, an fgetxattr
// and a close. The caller has checked that st, from an lstat, is a regular
// file; should the name have been replaced since, the label still comes
// only from a file with that stamp. ok is false where the kernel lacks the
// call: then the caller opens the file.
func readLabelAt(dirfd int, base string, st *unix.Stat_t) (label string, ok bool) {
	if noGetxattrat.Load() {
		return "", false
	}
	value, err := readAttr(func(buf []byte) (int, error) { return getxattrat(dirfd, base, buf) })
	if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EPERM) {
		// EPERM: a seccomp filter that does not know the call.
		noGetxattrat.Store(true)
		return "", false
	}
	if err != nil {
		return "", true
	}
	var buf [40]byte
	return matchLabel(value, appendStamp(buf[:0], st)), true
}

// noGetxattrat is set once getxattrat(2) is found missing.
var noGetxattrat atomic.Bool

// readAttr reads an extended attribute's value with get, which fills buf
// as getxattr(2) does.
func readAttr(get func(buf []byte) (int, error)) ([]byte, error) {
	// On the heap (get may keep it: it escapes), so that getxattrat can
	// pass its address inside a struct.
	buf := make([]byte, 256)
	n, err := get(buf)
	if errors.Is(err, unix.ERANGE) {
		// Longer than most labels; grow once.
		if n, err = get(nil); err == nil {
			buf = make([]byte, n)
			n, err = get(buf)
		}
	}
	if err != nil {
		return nil, err
	}
	return buf[:n], nil
}

// matchLabel returns the label in an attribute's value ("<stamp> <label>")
// if it was recorded with stamp, else "".
func matchLabel(value, stamp []byte) string {
	label, ok := bytes.CutPrefix(value, stamp)
	if !ok || len(label) == 0 || label[0] != ' ' {
		return ""
	}
	return string(label[1:])
}

// xattrArgs is the kernel's struct xattr_args.
type xattrArgs struct {
	value uint64 // the buffer's address
	size  uint32
	flags uint32
}

var labelAttrBytes = []byte(labelAttr + "\x00")

// getxattrat reads the label attribute of base in dirfd into buf, never
// following a symbolic link. x/sys/unix has no wrapper for it yet.
func getxattrat(dirfd int, base string, buf []byte) (int, error) {
	p, err := unix.BytePtrFromString(base)
	if err != nil {
		return 0, err
	}
	args := xattrArgs{size: uint32(len(buf))}
	if len(buf) > 0 {
		args.value = uint64(uintptr(unsafe.Pointer(unsafe.SliceData(buf))))
	}
	n, _, errno := unix.Syscall6(unix.SYS_GETXATTRAT, uintptr(dirfd), uintptr(unsafe.Pointer(p)),
		unix.AT_SYMLINK_NOFOLLOW, uintptr(unsafe.Pointer(&labelAttrBytes[0])),
		uintptr(unsafe.Pointer(&args)), unsafe.Sizeof(args))
	runtime.KeepAlive(buf)
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

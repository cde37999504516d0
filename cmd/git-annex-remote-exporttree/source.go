package main

import (
	"io"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// source is a local file git-annex hands over to be stored.
type source struct {
	f    *os.File
	size int64
}

// openSource opens file for reading. It wraps a bare descriptor rather than
// calling os.Open, which also tries to register the file with Go's poller:
// four fcntl calls and a failing epoll_ctl per store, for a regular file
// that is never polled.
func openSource(file string) (*source, error) {
	fd, err := unix.Open(file, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	for err == unix.EINTR {
		fd, err = unix.Open(file, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	}
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: file, Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, &fs.PathError{Op: "stat", Path: file, Err: err}
	}
	return &source{f: os.NewFile(uintptr(fd), file), size: st.Size}, nil
}

// rewind makes the source readable from its start again, for a second
// store after a first one failed part way.
func (s *source) rewind() error {
	_, err := s.f.Seek(0, io.SeekStart)
	return err
}

func (s *source) Close() error { return s.f.Close() }

package main

import (
	"io"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// keepStdin holds the files pollableStdin made for fd 0: collected, they
// would close whatever fd 0 is by then.
var keepStdin []io.Reader

// withStdin runs test with fd 0 replaced by f, then puts it back.
func withStdin(t *testing.T, f *os.File, test func()) {
	t.Helper()
	saved, err := unix.Dup(0)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		unix.Dup2(saved, 0)
		unix.Close(saved)
	}()
	if err := unix.Dup2(int(f.Fd()), 0); err != nil {
		t.Fatal(err)
	}
	test()
}

// A pipe on stdin is read through the runtime's poller (which alone
// supports deadlines); anything else is os.Stdin, its flags untouched.
func TestPollableStdin(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	withStdin(t, r, func() {
		in := pollableStdin()
		keepStdin = append(keepStdin, in)
		f, ok := in.(*os.File)
		if !ok || f == os.Stdin {
			t.Fatalf("pollableStdin() = %v, want a new file for the pipe", in)
		}
		if err := f.SetReadDeadline(time.Time{}); err != nil {
			t.Errorf("stdin is a pipe, but not read through the poller: %v", err)
		}
		if _, err := w.WriteString("PREPARE\n"); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 8)
		if n, err := io.ReadFull(f, buf); err != nil || string(buf[:n]) != "PREPARE\n" {
			t.Errorf("read %q, %v", buf[:n], err)
		}
	})

	file, err := os.Open(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	withStdin(t, file, func() {
		if in := pollableStdin(); in != os.Stdin {
			t.Errorf("pollableStdin() on a regular file = %v, want os.Stdin", in)
		}
		flags, err := unix.FcntlInt(0, unix.F_GETFL, 0)
		if err != nil || flags&unix.O_NONBLOCK != 0 {
			t.Errorf("a regular file on stdin was made non-blocking (flags %#x, %v)", flags, err)
		}
	})
}

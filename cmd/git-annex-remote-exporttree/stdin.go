package main

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// pollableStdin returns standard input read through the Go runtime's
// poller when it is a pipe, as git-annex starts the program; else os.Stdin.
//
// A goroutine blocked in read(2) holds its thread in a system call, and the
// runtime's monitor then wakes every 20 µs to take its processor back for as
// long as git-annex keeps talking: on a small VM that was a fifth of the
// program's CPU and a context switch per wake (BENCHMARKS.md). A parked
// goroutine costs nothing. Only a pipe is made non-blocking: its read end is
// this process's alone, whereas a terminal's flags are shared with the
// shell.
func pollableStdin() io.Reader {
	var st unix.Stat_t
	if unix.Fstat(0, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFIFO || unix.SetNonblock(0, true) != nil {
		return os.Stdin
	}
	return os.NewFile(0, "/dev/stdin")
}

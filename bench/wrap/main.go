// Command wrap stands in for git-annex-remote-exporttree when git-annex
// starts it during the benchmark (../rss.go): it runs the real program as
// its child with the same standard streams and appends the child's peak RSS
// and CPU time to a log. It is a program of its own, and small, because the
// kernel's account of the child's peak RSS includes the wrapper's RSS at
// the moment it started the child (Go starts programs with vfork, sharing
// the wrapper's memory until exec).
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"github.com/exporttree/git-annex-remote-exporttree/bench/internal/procstat"
)

func main() { os.Exit(run()) }

func run() int {
	cmd := exec.Command(os.Getenv("EXPORTTREE_BENCH_REAL"), os.Args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "git-annex-remote-exporttree (benchmark wrapper): %v\n", err)
		return 1
	}
	go func() {
		for s := range signals {
			cmd.Process.Signal(s)
		}
	}()
	err := cmd.Wait()
	if log := os.Getenv("EXPORTTREE_BENCH_RSS_LOG"); log != "" && cmd.ProcessState != nil {
		if f, ferr := os.OpenFile(log, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644); ferr == nil {
			var rss int64
			if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
				rss = ru.Maxrss * 1024
			}
			cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
			self, _ := procstat.VmHWM("self")
			// One write per line: O_APPEND keeps concurrent processes' lines whole.
			fmt.Fprintf(f, "%d %d %d\n", rss, cpu.Nanoseconds(), self)
			f.Close()
		}
	}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit) && exit.ExitCode() >= 0:
		return exit.ExitCode()
	case err != nil:
		return 1
	}
	return 0
}

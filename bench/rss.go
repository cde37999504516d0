package main

// Peak RSS of the program. Over the protocol the benchmark starts the
// program itself and reads its high-water mark (VmHWM) before it ends it.
// When git-annex starts it, git-annex finds "git-annex-remote-exporttree" on
// PATH: that is the small wrapper built from ./wrap, which runs the real
// program, waits for it and logs the kernel's account of its peak RSS
// (rusage). That account is the larger of the program's peak and the
// wrapper's RSS when it started the program (Go starts programs with vfork,
// and exec records the shared memory's high-water mark), so the wrapper
// logs its own peak too and readRSSLog checks it is the smaller. The
// wrapper costs one extra process start (a few milliseconds) per program
// process.

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

const (
	programName = "git-annex-remote-exporttree"
	envReal     = "EXPORTTREE_BENCH_REAL"    // the program the wrapper runs
	envRSSLog   = "EXPORTTREE_BENCH_RSS_LOG" // where it logs peak RSS
)

// cpuTime is a waited-for process's user and system CPU time.
func cpuTime(ps *os.ProcessState) time.Duration { return ps.UserTime() + ps.SystemTime() }

// readRSSLog reads the wrapper's log into s: the largest peak RSS, the CPU
// time of all the processes, and how many there were.
func readRSSLog(path string, s *sample) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var rss, cpu, wrapper int64
		if _, err := fmt.Sscanf(line, "%d %d %d", &rss, &cpu, &wrapper); err != nil {
			return fmt.Errorf("%s: bad line %q", path, line)
		}
		if wrapper >= rss {
			return fmt.Errorf("the wrapper's RSS (%d) is not below the program's (%d): the program's peak is unknown", wrapper, rss)
		}
		s.rss = max(s.rss, rss)
		s.cpu += time.Duration(cpu).Seconds()
		s.procs++
	}
	return nil
}

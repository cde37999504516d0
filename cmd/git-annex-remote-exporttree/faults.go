package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/exporttree/git-annex-remote-exporttree/backends/directory"
	"github.com/exporttree/git-annex-remote-exporttree/backends/s3"
)

// stallEnv names a fault-injection setting for crash tests: a store stalls
// after that many bytes until the process is killed or interrupted, so a
// test can SIGKILL it mid-transfer deterministically. Unset in normal use.
const stallEnv = "GIT_ANNEX_REMOTE_EXPORTTREE_TEST_STALL_AFTER"

// stallAtEnv names a fault-injection setting for crash tests, unset in
// normal use: the backend stops for good at that step of an operation (one
// of the directory.Step* names, or s3.StepCopied), after writing
// "stalled at step <step>" to stderr, so that a test can SIGKILL it at
// exactly that point.
const stallAtEnv = "GIT_ANNEX_REMOTE_EXPORTTREE_TEST_STALL_AT"

// stallAtStep sets the backends' step hooks when the environment asks for
// a stall at a step; otherwise the hooks stay nil and cost nothing.
func stallAtStep(stderr io.Writer) {
	want := os.Getenv(stallAtEnv)
	if want == "" {
		return
	}
	stall := func(step string) {
		if step != want {
			return
		}
		fmt.Fprintf(stderr, "git-annex-remote-exporttree: stalled at step %s (%s)\n", step, stallAtEnv)
		for {
			time.Sleep(time.Hour) // until killed
		}
	}
	directory.TestHookStep, s3.TestHookStep = stall, stall
}

// withFaults wraps a store's source reader with the faults the environment
// asks for.
func withFaults(ctx context.Context, r io.Reader) io.Reader {
	n, err := strconv.ParseInt(os.Getenv(stallEnv), 10, 64)
	if err != nil || n < 0 {
		return r
	}
	return &stallingReader{ctx: ctx, r: r, left: n}
}

type stallingReader struct {
	ctx  context.Context
	r    io.Reader
	left int64
}

func (s *stallingReader) Read(p []byte) (int, error) {
	if s.left <= 0 {
		<-s.ctx.Done()
		return 0, s.ctx.Err()
	}
	if int64(len(p)) > s.left {
		p = p[:s.left]
	}
	n, err := s.r.Read(p)
	s.left -= int64(n)
	return n, err
}

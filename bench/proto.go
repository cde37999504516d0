package main

// Driving the program over the protocol, as git-annex would, without
// git-annex: protocol/remotetest plays git-annex's side.

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/exporttree/git-annex-remote-exporttree/bench/internal/procstat"
	"github.com/exporttree/git-annex-remote-exporttree/protocol/remotetest"
)

// session is one run of the program over the protocol.
type session struct {
	*remotetest.Session
	cmd    *exec.Cmd
	lines  *lineCounter
	stderr *bytes.Buffer
}

// start runs the program with config as its git-annex configuration and
// S3 credentials through GETCREDS (never the environment), and prepares
// it.
func (b *bench) start(config map[string]string) (*session, error) {
	cmd := exec.CommandContext(b.ctx, b.prog)
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); !strings.HasPrefix(name, "AWS_") && measuredAsIs(name) {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	return b.startCommand(cmd, config)
}

// startCommand is start of any remote.
func (b *bench) startCommand(cmd *exec.Cmd, config map[string]string) (*session, error) {
	s := &session{cmd: cmd, lines: &lineCounter{}, stderr: &bytes.Buffer{}}
	cmd.Stderr = s.stderr
	var err error
	s.Session, err = remotetest.Start(cmd, remotetest.Options{
		Config:     config,
		Creds:      map[string][2]string{"s3creds": {b.s3.srv.AccessKey, b.s3.srv.SecretKey}},
		UUID:       "00000000-0000-0000-0000-00000000be0c",
		RemoteName: "bench",
		// A large transfer on a busy machine; PROGRESS resets it.
		Timeout:    10 * time.Minute,
		Transcript: s.lines,
	})
	if err != nil {
		return nil, err
	}
	if _, err := s.Handshake("INFO"); err != nil {
		return nil, s.fail(err)
	}
	if err := s.expect("PREPARE-SUCCESS", "PREPARE"); err != nil {
		return nil, err
	}
	s.lines.take() // count the requests' lines only
	return s, nil
}

// expect sends lines and checks the reply to the last one.
func (s *session) expect(want string, lines ...string) error {
	for _, l := range lines[:len(lines)-1] {
		if err := s.Send(l); err != nil {
			return s.fail(err)
		}
	}
	got, err := s.Request(lines[len(lines)-1])
	if err != nil {
		return s.fail(err)
	}
	if got != want {
		return s.fail(fmt.Errorf("%s: got %q, want %q", lines[len(lines)-1], got, want))
	}
	return nil
}

// fail ends the session and adds what the program said to err.
func (s *session) fail(err error) error {
	s.Kill()
	notes := s.Notes()
	if len(notes) > 5 {
		notes = notes[len(notes)-5:]
	}
	return fmt.Errorf("%w\nlast notes: %q\nstderr: %s", err, notes, tail(s.stderr.Bytes(), 2000))
}

// close ends the session as git-annex does and records the program's peak
// timedRequests times n steps of the session (each sends requests and
// checks the reply), then closes it, adding what the close measures.
func (s *session) timedRequests(n int, step func(i int) error) (sample, error) {
	smp, err := timed(func() error {
		for i := range n {
			if err := step(i); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return smp, err
	}
	err = s.close(&smp)
	return smp, err
}

// RSS (read just before), CPU time and protocol lines in smp.
func (s *session) close(smp *sample) error {
	// The kernel's account after exit (rusage) would include this
	// process's own RSS: Go starts programs with vfork, and exec records
	// the shared memory's high-water mark in the child's.
	hwm, err := procstat.VmHWM(strconv.Itoa(s.cmd.Process.Pid))
	if err != nil {
		s.Kill()
		return err
	}
	if err := s.Close(); err != nil {
		return fmt.Errorf("the program exited with %v; stderr: %s", err, tail(s.stderr.Bytes(), 2000))
	}
	smp.rss, smp.cpu = hwm, cpuTime(s.cmd.ProcessState).Seconds()
	smp.linesTo, smp.linesFrom = s.lines.take()
	return nil
}

// lineCounter counts the protocol lines each way, from the transcript.
type lineCounter struct {
	mu       sync.Mutex
	to, from int
}

func (c *lineCounter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case bytes.HasPrefix(p, []byte("<- ")):
		c.to++
	case bytes.HasPrefix(p, []byte("-> ")):
		c.from++
	}
	return len(p), nil
}

// take returns the counts so far and starts again.
func (c *lineCounter) take() (to, from int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	to, from = c.to, c.from
	c.to, c.from = 0, 0
	return to, from
}

package main

// The protocol's overhead alone: CHECKPRESENTEXPORT of a present file, over
// the protocol, against the backend's same check called in this process.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
	"github.com/exporttree/git-annex-remote-exporttree/backends/directory"
	"github.com/exporttree/git-annex-remote-exporttree/backends/s3"
)

// protoChecks asks n times whether name holds key, in one program process
// (or in cmd, when given), expecting the answer want (CHECKPRESENT-SUCCESS
// or CHECKPRESENT-FAILURE).
func (b *bench) protoChecks(cmd *exec.Cmd, config map[string]string, name, key string, n int, want string) (sample, error) {
	var s *session
	var err error
	if cmd != nil {
		s, err = b.startCommand(cmd, config)
	} else {
		s, err = b.start(config)
	}
	if err != nil {
		return sample{}, err
	}
	return s.timedRequests(n, func(int) error {
		return s.expect(want+" "+key, "EXPORT "+name, "CHECKPRESENTEXPORT "+key)
	})
}

// backendChecks calls the backend's Stat n times, as CHECKPRESENTEXPORT
// does, and checks what it finds.
func (b *bench) backendChecks(be backends.Backend, name, key string, n int) (sample, error) {
	return timed(func() error {
		for range n {
			info, err := be.Stat(b.ctx, name)
			if err != nil {
				return err
			}
			if info.Label != key {
				return fmt.Errorf("Stat(%q) found label %q, want %q", name, info.Label, key)
			}
		}
		return nil
	})
}

func (b *bench) checkRows() error {
	file := filepath.Join(b.work, "check.bin")
	if err := writeRandom(file, 4<<10, 7); err != nil {
		return err
	}
	key := fakeKey(4<<10, 7)
	const name = "d000/check.bin"
	dir := filepath.Join(b.work, b.next("check"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bucket, err := b.bucket()
	if err != nil {
		return err
	}
	dirBackend, err := directory.Open(dir, directory.Options{})
	if err != nil {
		return err
	}
	defer dirBackend.Close()
	s3Backend, err := s3.Open(b.ctx, s3.Config{Endpoint: "http://" + b.s3.host, Bucket: bucket, PathStyle: s3.PathStylePath,
		AccessKey: b.s3.srv.AccessKey, SecretKey: b.s3.srv.SecretKey})
	if err != nil {
		return err
	}
	defer s3Backend.Close()
	for _, st := range []struct {
		name    string
		config  map[string]string
		backend backends.Backend
		n       int
	}{
		{"directory", dirConfig(dir, true), dirBackend, b.sc.checks},
		{"MinIO", b.s3Config(bucket, "", true), s3Backend, b.sc.checksS3},
	} {
		if _, err := b.protoStore(st.config, name, key, file); err != nil {
			return err
		}
		r := b.add(&row{name: "CHECKPRESENTEXPORT of a present file, " + st.name,
			ours: "this program over the protocol (EXPORT, CHECKPRESENTEXPORT)", baseline: "the backend's Stat called in this process",
			perOp: st.n, opName: "check", checkRSS: true})
		err := b.compare(r, b.sc.runs,
			func() (sample, error) { return b.protoChecks(nil, st.config, name, key, st.n, "CHECKPRESENT-SUCCESS") },
			func() (sample, error) { return b.backendChecks(st.backend, name, key, st.n) })
		if err != nil {
			return err
		}
	}
	// The same round trips against the floor, on a directory, where
	// the backend's work is smallest. The floor stores nothing, so it
	// answers that nothing is there.
	r := b.add(&row{name: "CHECKPRESENTEXPORT of a present file, directory",
		ours:     "this program over the protocol (EXPORT, CHECKPRESENTEXPORT)",
		baseline: "the floor: a remote answering from one loop, no storage (pipes, scheduler, this harness)",
		perOp:    b.sc.checks, opName: "check"})
	return b.compare(r, b.sc.runs,
		func() (sample, error) {
			return b.protoChecks(nil, dirConfig(dir, true), name, key, b.sc.checks, "CHECKPRESENT-SUCCESS")
		},
		func() (sample, error) {
			return b.protoChecks(b.floorCommand(), nil, name, key, b.sc.checks, "CHECKPRESENT-FAILURE")
		})
}

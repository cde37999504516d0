package main

// What a program start costs: git-annex starts the program several times
// per export (and once per job without ASYNC), and each start opens the
// backend at PREPARE, which on a directory sweeps it for temporaries left
// by killed processes.

import (
	"fmt"
	"os"
	"path/filepath"
)

// protoStart times the start of the program up to PREPARE-SUCCESS.
func (b *bench) protoStart(config map[string]string) (sample, error) {
	var s *session
	smp, err := timed(func() (err error) {
		s, err = b.start(config)
		return err
	})
	if err != nil {
		return smp, err
	}
	err = s.close(&smp)
	return smp, err
}

func (b *bench) prepareRows() error {
	n := b.sc.names
	dir := filepath.Join(b.work, "prepare")
	full, empty := filepath.Join(dir, "full"), filepath.Join(dir, "empty")
	logf("making %d files", n)
	if err := makeNames(full, n); err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := os.MkdirAll(empty, 0o755); err != nil {
		return err
	}
	r := b.add(&row{name: fmt.Sprintf("program start up to PREPARE-SUCCESS, directory holding %d files", n),
		ours: "this program", baseline: "the same on an empty directory", checkRSS: true})
	return b.compare(r, b.sc.runs,
		func() (sample, error) { return b.protoStart(dirConfig(full, true)) },
		func() (sample, error) { return b.protoStart(dirConfig(empty, true)) })
}

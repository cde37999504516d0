package protocol_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/exporttree/git-annex-remote-exporttree/protocol"
)

// memRemote is a key/value remote that keeps its objects in memory.
type memRemote struct {
	mu      sync.Mutex
	objects map[string]string // key → the file it was stored from
}

var _ protocol.KeyValue = (*memRemote)(nil)

func (m *memRemote) InitRemote(ctx context.Context, a *protocol.Annex) error { return nil }

func (m *memRemote) Prepare(ctx context.Context, a *protocol.Annex) error {
	dir, err := a.GetConfig(ctx, "directory")
	if err != nil {
		return err
	}
	if dir == "" {
		return errors.New("directory= is required")
	}
	return nil
}

func (m *memRemote) Store(ctx context.Context, a *protocol.Annex, key, file string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.objects[key] = file
	a.Progress(100)
	return nil
}

func (m *memRemote) Retrieve(ctx context.Context, a *protocol.Annex, key, file string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.objects[key]; !ok {
		return fmt.Errorf("%s is not stored here", key)
	}
	return nil
}

func (m *memRemote) CheckPresent(ctx context.Context, a *protocol.Annex, key string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.objects[key]
	return ok, nil
}

func (m *memRemote) Remove(ctx context.Context, a *protocol.Annex, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.objects, key)
	return nil
}

// A scripted git-annex drives a small in-memory remote. In a real remote,
// main calls Serve with os.Stdin and os.Stdout and a context cancelled on
// SIGINT and SIGTERM.
func ExampleServe() {
	gitAnnex := strings.Join([]string{
		"EXTENSIONS INFO GETGITREMOTENAME ASYNC",
		"PREPARE",
		"VALUE /srv/annex", // answers GETCONFIG directory
		"CHECKPRESENT SHA256E-s5--abc",
		"TRANSFER STORE SHA256E-s5--abc .git/annex/objects/ab/cd/file",
		"CHECKPRESENT SHA256E-s5--abc",
		"TRANSFER RETRIEVE SHA256E-s9--def .git/annex/tmp/def",
		"EXPORTSUPPORTED",
		"GETORDERED",
	}, "\n") + "\n"
	r := &memRemote{objects: make(map[string]string)}
	// Without DisableAsync, git-annex's offer of ASYNC would be accepted
	// and every line would carry a "J n" prefix.
	opts := protocol.Options{DisableAsync: true}
	if err := protocol.Serve(context.Background(), r, strings.NewReader(gitAnnex), os.Stdout, opts); err != nil {
		fmt.Println("error:", err)
	}
	// Output:
	// VERSION 2
	// EXTENSIONS INFO GETGITREMOTENAME
	// GETCONFIG directory
	// PREPARE-SUCCESS
	// CHECKPRESENT-FAILURE SHA256E-s5--abc
	// TRANSFER-SUCCESS STORE SHA256E-s5--abc
	// CHECKPRESENT-SUCCESS SHA256E-s5--abc
	// TRANSFER-FAILURE RETRIEVE SHA256E-s9--def SHA256E-s9--def is not stored here
	// EXPORTSUPPORTED-FAILURE
	// UNSUPPORTED-REQUEST
}

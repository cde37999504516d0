package memory

import (
	"context"
	"io/fs"
	"testing"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
	"github.com/exporttree/git-annex-remote-exporttree/backends/backendtest"
)

// harness reaches into the map for its out-of-band access.
type harness struct{ b *Backend }

func newHarness(ctx context.Context, t *testing.T) (backendtest.Harness, error) {
	return &harness{b: New()}, nil
}

func (h *harness) Backend() backends.Backend { return h.b }

func (h *harness) Properties() backendtest.Properties {
	return backendtest.Properties{Labels: true}
}

func (h *harness) Write(ctx context.Context, name string, data []byte) error {
	h.b.mu.Lock()
	defer h.b.mu.Unlock()
	h.b.entries[name] = entry{data: append([]byte(nil), data...), cid: h.b.newCID()}
	return nil
}

func (h *harness) Delete(ctx context.Context, name string) error {
	h.b.mu.Lock()
	defer h.b.mu.Unlock()
	delete(h.b.entries, name)
	return nil
}

func (h *harness) Read(ctx context.Context, name string) ([]byte, error) {
	h.b.mu.Lock()
	defer h.b.mu.Unlock()
	e, ok := h.b.entries[name]
	if !ok {
		return nil, fs.ErrNotExist
	}
	return e.data, nil
}

func (h *harness) Entries(ctx context.Context) ([]string, error) {
	h.b.mu.Lock()
	defer h.b.mu.Unlock()
	var names []string
	for name := range h.b.entries {
		names = append(names, name)
	}
	return names, nil
}

func (h *harness) Close() {}

func TestConformance(t *testing.T) {
	backendtest.RunConformanceTests(t, newHarness)
}

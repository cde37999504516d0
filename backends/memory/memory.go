// Package memory is a [backends.Backend] that keeps everything in memory.
//
// It is the reference implementation of the contract: small enough to read
// in one sitting, it passes the conformance suite in package backendtest and
// so doubles as an executable specification. It is not meant for real use:
// nothing survives the process.
//
// CIDs are "m" followed by a counter, so every store gets a new one.
// Labels are recorded. There are no directories: "a/b" is just a name.
package memory

import (
	"bytes"
	"context"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
)

var (
	_ backends.Backend = (*Backend)(nil)
	_ backends.Renamer = (*Backend)(nil)
)

type entry struct {
	data  []byte // never modified once stored
	cid   backends.CID
	label string
}

// Backend is an in-memory store. The zero value is not usable; call [New].
type Backend struct {
	mu      sync.Mutex
	entries map[string]entry
	counter uint64
}

// New returns an empty Backend.
func New() *Backend {
	return &Backend{entries: make(map[string]entry)}
}

// newCID must be called with b.mu held.
func (b *Backend) newCID() backends.CID {
	b.counter++
	return backends.CID("m" + strconv.FormatUint(b.counter, 10))
}

func valid(op string, names ...string) error {
	for _, name := range names {
		if err := backends.ValidName(name); err != nil {
			err.(*backends.Error).Op = op
			return err
		}
	}
	return nil
}

// Store reads all of r before taking the lock, so readers see the old
// content until the new one is complete.
func (b *Backend) Store(ctx context.Context, name string, r io.Reader, opts backends.StoreOptions) (backends.CID, error) {
	if err := valid("store", name); err != nil {
		return "", err
	}
	src := r
	if opts.Size >= 0 {
		src = io.LimitReader(r, opts.Size+1)
	}
	var buf bytes.Buffer
	n, err := io.Copy(&buf, src)
	if err != nil {
		return "", backends.Errorf("store", name, nil, "reading the content: %w", err)
	}
	if opts.Size >= 0 && n != opts.Size {
		return "", backends.Errorf("store", name, nil, "the reader yielded %d bytes, expected %d", n, opts.Size)
	}
	if opts.Progress != nil && n > 0 {
		opts.Progress(n)
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	cur, ok := b.entries[name]
	if !opts.If.Allows(cur.cid, ok) {
		return "", backends.Conflict("store", name, opts.If, cur.cid, ok)
	}
	cid := b.newCID()
	b.entries[name] = entry{data: buf.Bytes(), cid: cid, label: opts.Label}
	return cid, nil
}

func (b *Backend) Retrieve(ctx context.Context, name string, pin backends.CID, w io.Writer) (backends.CID, error) {
	if err := valid("retrieve", name); err != nil {
		return "", err
	}
	b.mu.Lock()
	e, ok := b.entries[name]
	b.mu.Unlock()
	if !ok {
		return "", &backends.Error{Op: "retrieve", Name: name, Class: backends.ErrNotFound}
	}
	if pin != "" && pin != e.cid {
		return "", backends.Conflict("retrieve", name, backends.Matches(pin), e.cid, true)
	}
	if _, err := w.Write(e.data); err != nil {
		return "", backends.Errorf("retrieve", name, nil, "writing the content: %w", err)
	}
	return e.cid, nil
}

func (b *Backend) Stat(ctx context.Context, name string) (backends.Info, error) {
	if err := valid("stat", name); err != nil {
		return backends.Info{}, err
	}
	b.mu.Lock()
	e, ok := b.entries[name]
	b.mu.Unlock()
	if !ok {
		return backends.Info{}, &backends.Error{Op: "stat", Name: name, Class: backends.ErrNotFound}
	}
	return info(name, e), nil
}

func info(name string, e entry) backends.Info {
	return backends.Info{Name: name, Size: int64(len(e.data)), CID: e.cid, Label: e.label}
}

func (b *Backend) Remove(ctx context.Context, name string, cond backends.Condition) error {
	if err := valid("remove", name); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	cur, ok := b.entries[name]
	if !cond.Allows(cur.cid, ok) {
		return backends.Conflict("remove", name, cond, cur.cid, ok)
	}
	delete(b.entries, name)
	return nil
}

// List works on a snapshot of the names, so fn may call b. Unlike a real
// backend its memory grows with the number of names; everything here does.
func (b *Backend) List(ctx context.Context, prefix string, fn func(backends.Info) error) error {
	if prefix != "" {
		if err := valid("list", prefix); err != nil {
			return err
		}
		prefix += "/"
	}
	b.mu.Lock()
	var names []string
	for name := range b.entries {
		if strings.HasPrefix(name, prefix) && !backends.Reserved(name) {
			names = append(names, name)
		}
	}
	b.mu.Unlock()
	slices.Sort(names)
	for _, name := range names {
		b.mu.Lock()
		e, ok := b.entries[name]
		b.mu.Unlock()
		if !ok {
			continue // removed since the snapshot
		}
		if err := fn(info(name, e)); err != nil {
			return err
		}
	}
	return nil
}

// Rename keeps the CID: the content is the same.
func (b *Backend) Rename(ctx context.Context, from, to string, cond, toCond backends.Condition) error {
	if err := valid("rename", from, to); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	cur, ok := b.entries[from]
	if !cond.Allows(cur.cid, ok) {
		return backends.Conflict("rename", from, cond, cur.cid, ok)
	}
	if !ok {
		return &backends.Error{Op: "rename", Name: from, Class: backends.ErrNotFound}
	}
	if dst, there := b.entries[to]; !toCond.Allows(dst.cid, there) {
		return backends.Conflict("rename", to, toCond, dst.cid, there)
	}
	delete(b.entries, from)
	b.entries[to] = cur
	return nil
}

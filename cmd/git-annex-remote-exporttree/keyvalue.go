package main

import (
	"context"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
	"github.com/exporttree/git-annex-remote-exporttree/protocol"
)

// Key/value requests make the program a plain special remote too (and let
// `git annex testremote` pass): keys live in the reserved key area of the
// same backend, stored with the same atomicity as exported files.

func (r *remote) Store(ctx context.Context, a *protocol.Annex, key, file string) error {
	b, err := r.storage(ctx, a)
	if err != nil {
		return err
	}
	return storeFile(ctx, a, b, keyName(key), key, file)
}

func (r *remote) Retrieve(ctx context.Context, a *protocol.Annex, key, file string) error {
	b, err := r.storage(ctx, a)
	if err != nil {
		return err
	}
	return retrieveFile(ctx, a, b, keyName(key), file)
}

func (r *remote) CheckPresent(ctx context.Context, a *protocol.Annex, key string) (bool, error) {
	b, err := r.storage(ctx, a)
	if err != nil {
		return false, err
	}
	return present(ctx, b, keyName(key), key)
}

func (r *remote) Remove(ctx context.Context, a *protocol.Annex, key string) error {
	b, err := r.storage(ctx, a)
	if err != nil {
		return err
	}
	return remove(ctx, b, keyName(key), backends.Unconditional)
}

package main

import (
	"context"

	"github.com/exporttree/git-annex-remote-exporttree/protocol"
)

var (
	_ protocol.Coster     = (*remote)(nil)
	_ protocol.Availabler = (*remote)(nil)
)

// git-annex's own costs (Config/Cost.hs): its directory remote is cheap,
// its S3 remote expensive. git-annex asks once and caches the answer, so
// the storage is described, not measured.
const (
	cheapRemoteCost     = 100
	expensiveRemoteCost = 200
)

// Cost answers what git-annex's own remote for the same storage would, so
// that `git annex get` prefers a directory on a local disk to a bucket.
func (r *remote) Cost(ctx context.Context, a *protocol.Annex) (int, error) {
	backend, err := readBackend(ctx, a)
	if err != nil {
		return 0, err
	}
	if backend == "s3" {
		return expensiveRemoteCost, nil
	}
	return cheapRemoteCost, nil
}

// Availability is LOCAL for a directory (as git-annex's directory remote
// is) and GLOBAL for S3.
func (r *remote) Availability(ctx context.Context, a *protocol.Annex) (protocol.Availability, error) {
	backend, err := readBackend(ctx, a)
	if err != nil {
		return "", err
	}
	if backend == "s3" {
		return protocol.Global, nil
	}
	return protocol.Local, nil
}

// readBackend asks only for the backend setting: the answers above need
// nothing else, and may come before the rest is complete.
func readBackend(ctx context.Context, a *protocol.Annex) (string, error) {
	var c config
	v, err := a.GetConfig(ctx, backendSetting.name)
	if err == nil {
		err = backendSetting.set(&c, v)
	}
	return c.Backend, err
}

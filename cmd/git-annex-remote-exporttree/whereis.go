package main

import (
	"context"

	"github.com/exporttree/git-annex-remote-exporttree/protocol"
)

var _ protocol.Whereiser = (*remote)(nil)

// publicURLer is a backend that can say where anyone may download a name
// (backends/s3 with git-annex's publicurl setting).
type publicURLer interface {
	PublicURL(base, name string) string
}

// WhereIs answers, for a key stored in the key area of a bucket with a
// publicurl, the URL where anyone can download it, as git-annex's own S3
// remote does. Otherwise, and for exports (git-annex names only the key,
// not where it was exported), it answers nothing. It never fails:
// `git annex whereis` only shows the answer.
func (r *remote) WhereIs(ctx context.Context, a *protocol.Annex, key string) (string, error) {
	b, err := r.storage(ctx, a)
	if err != nil {
		return "", nil
	}
	base := r.config().S3.PublicURL
	p, ok := b.(publicURLer)
	if base == "" || !ok {
		return "", nil
	}
	name := keyName(key)
	if held, err := present(ctx, b, name, key); err != nil || !held {
		return "", nil
	}
	return p.PublicURL(base, name), nil
}

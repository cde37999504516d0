package backends

import "context"

// ListUnlabeled lists like b.List, through b's [UnlabeledLister] when it has
// one, for callers that need names, sizes and CIDs only: labels may or may
// not be reported.
func ListUnlabeled(ctx context.Context, b Backend, prefix string, fn func(Info) error) error {
	if l, ok := b.(UnlabeledLister); ok {
		return l.ListUnlabeled(ctx, prefix, fn)
	}
	return b.List(ctx, prefix, fn)
}

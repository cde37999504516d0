package backends

import (
	"context"
	"errors"
	"io"
)

// Rename moves the content under from to to, when cond (checked against
// from) allows it, through b's [Renamer] when b implements one.
//
// Otherwise it falls back to Stat, then Retrieve pinned to the CID found,
// streamed into Store under to (with the same label), then Remove of from
// with [Matches] that CID. The fallback is not atomic: when from changes
// during the copy, the final Remove fails with [ErrConflict] and to keeps a
// copy of the content that was under from.
//
// An absent from is [ErrNotFound], or [ErrConflict] when cond expects a CID.
func Rename(ctx context.Context, b Backend, from, to string, cond Condition) error {
	if r, ok := b.(Renamer); ok {
		return r.Rename(ctx, from, to, cond)
	}
	for _, name := range []string{from, to} {
		if err := ValidName(name); err != nil {
			err.(*Error).Op = "rename"
			return err
		}
	}
	info, err := b.Stat(ctx, from)
	if errors.Is(err, ErrNotFound) {
		if _, ok := cond.Expected(); ok {
			return Conflict("rename", from, cond, "", false)
		}
	}
	if err != nil {
		return err
	}
	if !cond.Allows(info.CID, true) {
		return Conflict("rename", from, cond, info.CID, true)
	}
	if from == to {
		return nil
	}
	if err := copyContent(ctx, b, info, to); err != nil {
		return err
	}
	return b.Remove(ctx, from, Matches(info.CID))
}

// errCopyEnded stops a Retrieve whose Store has already returned.
var errCopyEnded = errors.New("copy ended")

// copyContent streams what info describes into to, in constant memory.
func copyContent(ctx context.Context, b Backend, info Info, to string) error {
	pr, pw := io.Pipe()
	retrieved := make(chan error, 1)
	go func() {
		_, err := b.Retrieve(ctx, info.Name, info.CID, pw)
		pw.CloseWithError(err)
		retrieved <- err
	}()
	_, storeErr := b.Store(ctx, to, pr, StoreOptions{Size: info.Size, Label: info.Label})
	pr.CloseWithError(errCopyEnded)
	retrieveErr := <-retrieved
	// The Retrieve error is the cause when the source failed (a conflict,
	// say); when Store stopped first, Retrieve only saw the closed pipe.
	if retrieveErr != nil && !errors.Is(retrieveErr, errCopyEnded) {
		return retrieveErr
	}
	return storeErr
}

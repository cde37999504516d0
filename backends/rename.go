package backends

import (
	"context"
	"errors"
	"io"
)

// Rename moves the content under from to to, when cond allows what is under
// from and toCond what is under to (see [Renamer]), through b's [Renamer]
// when b implements one.
//
// Otherwise it falls back to Stat, then Retrieve pinned to the CID found,
// streamed into Store under to (with the same label, and toCond as
// [StoreOptions.If], so the backend checks the destination as it commits),
// then Remove of from with [Matches] that CID. The fallback is not atomic:
// when from changes during the copy, the final Remove fails with
// [ErrConflict] and to keeps a copy of the content that was under from.
//
// An absent from is [ErrNotFound], or [ErrConflict] when cond expects a CID.
func Rename(ctx context.Context, b Backend, from, to string, cond, toCond Condition) error {
	if r, ok := b.(Renamer); ok {
		return r.Rename(ctx, from, to, cond, toCond)
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
		if !toCond.Allows(info.CID, true) {
			return Conflict("rename", to, toCond, info.CID, true)
		}
		return nil
	}
	if err := copyContent(ctx, b, info, to, toCond); err != nil {
		return err
	}
	return b.Remove(ctx, from, Matches(info.CID))
}

// errCopyEnded stops a Retrieve whose Store has already returned.
var errCopyEnded = errors.New("copy ended")

// copyContent streams what info describes into to, as toCond allows, in
// constant memory.
func copyContent(ctx context.Context, b Backend, info Info, to string, toCond Condition) error {
	pr, pw := io.Pipe()
	retrieved := make(chan error, 1)
	go func() {
		_, err := b.Retrieve(ctx, info.Name, info.CID, pw)
		pw.CloseWithError(err)
		retrieved <- err
	}()
	_, storeErr := b.Store(ctx, to, pr, StoreOptions{Size: info.Size, Label: info.Label, If: toCond})
	pr.CloseWithError(errCopyEnded)
	retrieveErr := <-retrieved
	// The Retrieve error is the cause when the source failed (a conflict,
	// say); when Store stopped first, Retrieve only saw the closed pipe.
	if retrieveErr != nil && !errors.Is(retrieveErr, errCopyEnded) {
		return retrieveErr
	}
	return storeErr
}

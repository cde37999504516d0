package main

import (
	"context"
	"errors"
	"slices"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
	"github.com/exporttree/git-annex-remote-exporttree/protocol"
)

// The conditional draft of the export/import design: git-annex says what it
// expects at a name (LOCATION, EXPECTED or NOTHINGEXPECTED) and every
// request acts only when that is what is there, at the moment it acts.

var _ protocol.ConditionalExporter = (*remote)(nil)

// condition turns what git-annex expects at loc into a backend condition.
// Several expected identifiers are narrowed to the one that is there now,
// which the backend then checks atomically as it acts.
func condition(ctx context.Context, b backends.Backend, loc protocol.Location) (backends.Condition, error) {
	switch {
	case loc.NothingExpected:
		return backends.NothingThere, nil
	case len(loc.Expected) == 1:
		return backends.Matches(backends.CID(loc.Expected[0])), nil
	case len(loc.Expected) == 0:
		return backends.Condition{}, &backends.Error{Op: "check", Name: loc.Name, Class: backends.ErrConflict,
			Err: errors.New("git-annex expects nothing and something at once: no EXPECTED or NOTHINGEXPECTED was given")}
	}
	info, err := b.Stat(ctx, loc.Name)
	if errors.Is(err, backends.ErrNotFound) {
		return backends.Condition{}, backends.Conflict("check", loc.Name, backends.Matches(backends.CID(loc.Expected[0])), "", false)
	}
	if err != nil {
		return backends.Condition{}, err
	}
	if !slices.Contains(loc.Expected, string(info.CID)) {
		return backends.Condition{}, backends.Conflict("check", loc.Name, backends.Matches(backends.CID(loc.Expected[0])), info.CID, true)
	}
	return backends.Matches(info.CID), nil
}

func (r *remote) StoreExportExpected(ctx context.Context, a *protocol.Annex, loc protocol.Location, key, file string) (string, error) {
	if err := exportable(loc.Name); err != nil {
		return "", err
	}
	b, err := r.storage(ctx, a)
	if err != nil {
		return "", err
	}
	cond, err := condition(ctx, b, loc)
	if err != nil {
		return "", err
	}
	src, err := openSource(file)
	if err != nil {
		return "", err
	}
	defer src.Close()
	cid, err := storeSource(ctx, a, b, loc.Name, key, src, cond)
	return string(cid), err
}

func (r *remote) RetrieveExportExpected(ctx context.Context, a *protocol.Annex, loc protocol.Location, key, file string) error {
	b, err := r.storage(ctx, a)
	if err != nil {
		return err
	}
	cond, err := condition(ctx, b, loc)
	if err != nil {
		return err
	}
	pin, ok := cond.Expected()
	if !ok {
		return &backends.Error{Op: "retrieve", Name: loc.Name, Class: backends.ErrConflict,
			Err: errors.New("git-annex expects nothing there, so there is nothing to retrieve")}
	}
	return retrieveFilePinned(ctx, a, b, loc.Name, pin, file)
}

func (r *remote) CheckPresentExportExpected(ctx context.Context, a *protocol.Annex, loc protocol.Location, key string) (bool, error) {
	b, err := r.storage(ctx, a)
	if err != nil {
		return false, err
	}
	// The expected identifier vouches for the content, which may have been
	// imported, under a key other than any this remote recorded.
	info, found, err := stat(ctx, b, loc.Name)
	return found && slices.Contains(loc.Expected, string(info.CID)) && holdsImported(info, key), err
}

func (r *remote) RemoveExportExpected(ctx context.Context, a *protocol.Annex, loc protocol.Location, key string) error {
	b, err := r.storage(ctx, a)
	if err != nil {
		return err
	}
	cond, err := condition(ctx, b, loc)
	if err == nil {
		err = b.Remove(ctx, loc.Name, cond)
	}
	if errors.Is(err, backends.ErrNotFound) || errors.Is(err, backends.ErrConflict) && !loc.NothingExpected && absent(ctx, b, loc.Name) {
		// Already gone is what a removal wants; anything else there is
		// someone else's and stays.
		return nil
	}
	return err
}

func absent(ctx context.Context, b backends.Backend, name string) bool {
	_, err := b.Stat(ctx, name)
	return errors.Is(err, backends.ErrNotFound)
}

// RemoveExportDirectoryWhenEmpty removes dir only if nothing is in it, in
// one step on a filesystem, so a file written into it meanwhile stays and
// the removal fails instead; on S3 there is no directory, only a check that
// nothing is stored under it.
func (r *remote) RemoveExportDirectoryWhenEmpty(ctx context.Context, a *protocol.Annex, dir string) error {
	b, err := r.storage(ctx, a)
	if err != nil {
		return err
	}
	return backends.RemoveEmptyDir(ctx, b, dir)
}

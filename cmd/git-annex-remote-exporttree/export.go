package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
	"github.com/exporttree/git-annex-remote-exporttree/protocol"
)

// The export interface (exporttree=yes): names are the tree's file names.

// exportable refuses names in the program's reserved namespace: exporting
// them would collide with temporaries and the key area.
func exportable(name string) error {
	if backends.Reserved(name) {
		return &backends.Error{Op: "export", Name: name, Class: backends.ErrRefused,
			Err: errors.New("names starting with .git-annex-exporttree are reserved for git-annex-remote-exporttree's own use")}
	}
	return nil
}

func (r *remote) StoreExport(ctx context.Context, a *protocol.Annex, name, key, file string) error {
	if err := exportable(name); err != nil {
		return err
	}
	b, err := r.storage(ctx, a)
	if err != nil {
		return err
	}
	return storeFile(ctx, a, b, name, key, file)
}

func (r *remote) RetrieveExport(ctx context.Context, a *protocol.Annex, name, key, file string) error {
	if err := exportable(name); err != nil {
		return err
	}
	b, err := r.storage(ctx, a)
	if err != nil {
		return err
	}
	return retrieveFile(ctx, a, b, name, file)
}

func (r *remote) CheckPresentExport(ctx context.Context, a *protocol.Annex, name, key string) (bool, error) {
	if exportable(name) != nil {
		return false, nil
	}
	b, err := r.storage(ctx, a)
	if err != nil {
		return false, err
	}
	return present(ctx, b, name, key)
}

func (r *remote) RemoveExport(ctx context.Context, a *protocol.Annex, name, key string) error {
	if exportable(name) != nil {
		return nil // never exported, so nothing of ours is there
	}
	b, err := r.storage(ctx, a)
	if err != nil {
		return err
	}
	return remove(ctx, b, name)
}

func (r *remote) RemoveExportDirectory(ctx context.Context, a *protocol.Annex, dir string) error {
	if err := exportable(dir); err != nil {
		return err
	}
	b, err := r.storage(ctx, a)
	if err != nil {
		return err
	}
	return backends.RemoveDir(ctx, b, dir)
}

// RenameExport moves name to newName. git-annex renames in two phases through
// a top-level temporary name and may resend a rename after an interruption:
// when the source is gone but the destination already holds the key, the
// rename has happened and succeeds.
func (r *remote) RenameExport(ctx context.Context, a *protocol.Annex, name, key, newName string) error {
	if err := exportable(name); err != nil {
		return err
	}
	if err := exportable(newName); err != nil {
		return err
	}
	b, err := r.storage(ctx, a)
	if err != nil {
		return err
	}
	err = backends.Rename(ctx, b, name, newName, backends.Unconditional)
	if errors.Is(err, backends.ErrNotFound) {
		if done, perr := present(ctx, b, newName, key); perr == nil && done {
			a.Debug(fmt.Sprintf("rename %q -> %q was already done", name, newName))
			return nil
		}
	}
	return err
}

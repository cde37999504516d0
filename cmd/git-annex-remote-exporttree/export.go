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
	src, err := openSource(file)
	if err != nil {
		return err
	}
	defer src.Close()
	if r.guarding(b) && src.size <= optimisticStoreLimit {
		// git-annex removes a changed file before it exports the new
		// one, so the name nearly always holds nothing: store on that
		// condition, which the backend checks as it stores, and ask what
		// is there only when it fails. One round trip less per file on
		// S3; at worst one small upload wasted.
		_, err := storeSource(ctx, a, b, name, key, src, backends.NothingThere)
		if !errors.Is(err, backends.ErrConflict) {
			return err
		}
		if err := src.rewind(); err != nil {
			return err
		}
	}
	cond, err := r.guard(ctx, a, b, name, "")
	if err != nil {
		return err
	}
	_, err = storeSource(ctx, a, b, name, key, src, cond)
	return err
}

// optimisticStoreLimit bounds the upload a guarded store may waste by first
// assuming that nothing is stored under the name.
const optimisticStoreLimit = 16 << 20

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
	cond, err := r.guard(ctx, a, b, name, key)
	if err != nil || cond.WantsNothing() {
		return err // refused, or key already gone from name
	}
	return remove(ctx, b, name, cond)
}

func (r *remote) RemoveExportDirectory(ctx context.Context, a *protocol.Annex, dir string) error {
	if err := exportable(dir); err != nil {
		return err
	}
	b, err := r.storage(ctx, a)
	if err != nil {
		return err
	}
	if !r.guarding(b) {
		return backends.RemoveDir(ctx, b, dir)
	}
	return removeStoredDir(ctx, a, b, dir)
}

// removeStoredDir removes dir as guarded export may: each file under it that
// this remote stored, only while unchanged, then dir itself if that leaves
// it empty. git-annex asks once it has removed every file it exported there,
// so what is left is normally nothing, or files other programs wrote. Those
// stay, and the request succeeds: they are no name of git-annex's tree, so
// the export is right with them there, and guarded export never destroys
// what it did not store.
func removeStoredDir(ctx context.Context, a *protocol.Annex, b backends.Backend, dir string) error {
	stored := func(info backends.Info) bool { return info.Label != "" }
	err := backends.Drain(ctx, b, dir, stored, func(batch []backends.Info) (kept []string, err error) {
		for _, info := range batch {
			// A conflict means another program changed it since the listing:
			// it is theirs now, and stays.
			err := remove(ctx, b, info.Name, backends.Matches(info.CID))
			if errors.Is(err, backends.ErrConflict) {
				kept = append(kept, info.Name)
			} else if err != nil {
				return nil, err
			}
		}
		return kept, nil
	})
	if err != nil {
		return err
	}
	err = backends.RemoveEmptyDir(ctx, b, dir)
	if errors.Is(err, backends.ErrConflict) {
		a.Info(fmt.Sprintf("left %q in place: it holds files this remote did not store (%v)", dir, err))
		return nil
	}
	return err
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
	// The destination is replaced: it must not hold someone else's file.
	// Its condition, like the source's, is checked again as the rename acts.
	toCond, err := r.guard(ctx, a, b, newName, "")
	if err != nil {
		return err
	}
	cond, err := r.guard(ctx, a, b, name, key)
	if err == nil && cond.WantsNothing() {
		err = &backends.Error{Op: "rename", Name: name, Class: backends.ErrNotFound}
	}
	if err == nil {
		err = backends.Rename(ctx, b, name, newName, cond, toCond)
	}
	if errors.Is(err, backends.ErrNotFound) {
		if done, perr := present(ctx, b, newName, key); perr == nil && done {
			a.Debug(fmt.Sprintf("rename %q -> %q was already done", name, newName))
			return nil
		}
	}
	return err
}

// guarding reports whether export refuses to destroy changes made behind
// its back: guardexport is on and b can tell which content it stored.
func (r *remote) guarding(b backends.Backend) bool {
	return r.config().GuardExport && backends.RecordsLabels(b)
}

// guard returns the condition under which export may replace or remove
// what is stored under name: nothing there, or content this remote stored
// and nobody changed since (the backend records the key with the content,
// and forgets it when another program modifies the file). Anything else is
// refused, so export never destroys a change made behind its back. The
// returned condition makes the backend check again as it acts.
//
// key is the key git-annex believes is at name when it names one
// (REMOVEEXPORT, the source of RENAMEEXPORT), else "". Content this remote
// stored there under another key is then not that key's: for the request
// the name holds nothing (NothingThere), and the file is left alone.
// git-annex sends such a stale key when it replays the plan of an export
// that failed part-way; removing or moving away what the earlier run
// exported there would lose a file of the tree that git-annex records as
// exported.
func (r *remote) guard(ctx context.Context, a *protocol.Annex, b backends.Backend, name, key string) (backends.Condition, error) {
	if !r.guarding(b) {
		return backends.Unconditional, nil
	}
	info, err := b.Stat(ctx, name)
	switch {
	case errors.Is(err, backends.ErrNotFound):
		return backends.NothingThere, nil
	case err != nil:
		return backends.Condition{}, err
	case key != "" && info.Label != "" && info.Label != key:
		a.Info(fmt.Sprintf("%s holds %s, which this remote exported there, not %s: left in place", name, info.Label, key))
		return backends.NothingThere, nil
	case info.Label == "":
		return backends.Condition{}, &backends.Error{Op: "export", Name: name, Class: backends.ErrConflict,
			Err: errors.New("holds content this remote did not store: another program changed or wrote it. " +
				"To keep it, import it (git annex import --from) or move it away; to let export overwrite such files, " +
				"git annex enableremote with guardexport=no")}
	}
	return backends.Matches(info.CID), nil
}

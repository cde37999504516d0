package s3

import (
	"context"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
	"github.com/minio/minio-go/v7"
)

// Remove removes name when cond allows it.
//
// Unconditional: one DELETE; on a versioned bucket a HEAD and, when there
// is something, a delete marker, so history is kept. Absent is success, as
// it is for NothingThere, which fails with ErrConflict when something is
// there.
//
// Matches: a HEAD checks the current content. When it is a real version,
// exactly that version is deleted, never a newer one, so a concurrent
// store always survives. On an unversioned bucket S3 has no conditional
// DELETE: between the HEAD and the DELETE (one round trip) a concurrent
// overwrite would be deleted too.
func (b *Backend) Remove(ctx context.Context, name string, cond backends.Condition) error {
	key, err := b.key("remove", name)
	if err != nil {
		return err
	}
	if cond.IsUnconditional() && !b.versioned {
		return classify("remove", name, b.client.RemoveObject(ctx, b.bucket, key, minio.RemoveObjectOptions{}))
	}
	o, err := b.head(ctx, key, "")
	if cond.IsUnconditional() {
		// On a versioned bucket, a DELETE of an absent key would still
		// add a delete marker: look first.
		if isAbsent(err) {
			return nil
		}
		if err != nil {
			return classify("remove", name, err)
		}
		return classify("remove", name, b.client.RemoveObject(ctx, b.bucket, key, minio.RemoveObjectOptions{}))
	}
	if isAbsent(err) {
		if cond.WantsNothing() {
			return nil
		}
		return backends.Conflict("remove", name, cond, "", false)
	}
	if err != nil {
		return classify("remove", name, err)
	}
	if !cond.Allows(o.cid(), true) {
		return backends.Conflict("remove", name, cond, o.cid(), true)
	}
	return classify("remove", name, b.removeExact(ctx, key, o))
}

// removeExact deletes the content o found under key. With a version ID
// that names it alone (see pinnable), only that version goes; if an older
// version would then become current, or the listing of versions cannot
// tell (MinIO leaves out keys below a shorter key that is an object or a
// delete marker: "a/b" while "a" is one), a delete marker hides it first, so the name reads as absent at every
// moment: deleting first would show the older content until the marker
// came, and forever if the process died in between.
func (b *Backend) removeExact(ctx context.Context, key string, o object) error {
	if !b.pinnable(o) {
		return b.client.RemoveObject(ctx, b.bucket, key, minio.RemoveObjectOptions{})
	}
	older, found, err := b.versionBelow(ctx, key, o.versionID)
	if err != nil {
		return err
	}
	// A listing that does not show o (MinIO hides keys below another
	// object or delete marker) says nothing of what is below it.
	if older != "" || !found {
		// Hide only o: a newer version stored meanwhile must stay
		// visible. With versioning enabled, a store landing between
		// this HEAD and the delete marker is hidden, not lost: it stays
		// retrievable by its version ID. With versioning suspended, the
		// plain DELETE removes the "null" version for good, so such a
		// store is lost, as on an unversioned bucket (a round trip's
		// window).
		cur, err := b.head(ctx, key, "")
		switch {
		case isAbsent(err):
		case err != nil:
			return err
		case cur.versionID == o.versionID:
			if err := b.client.RemoveObject(ctx, b.bucket, key, minio.RemoveObjectOptions{}); err != nil {
				return err
			}
		}
	}
	return b.client.RemoveObject(ctx, b.bucket, key, minio.RemoveObjectOptions{VersionID: o.versionID})
}

// pinnable reports whether a DELETE of o's version ID removes exactly o.
// Not so for the "null" version (AWS names it; MinIO leaves the header
// out) while versioning is suspended: a plain DELETE, as on an unversioned
// bucket, then replaces it with a delete marker of that same ID, which a
// DELETE of the ID would remove again, bringing an older version back.
func (b *Backend) pinnable(o object) bool {
	return o.versionID != "" && (o.versionID != nullVersion || b.versioned)
}

// versionBelow returns the ID of the real version (not a delete marker)
// just older than version, or "" when there is none or a delete marker
// comes first. Listing returns a key's versions newest first.
func (b *Backend) versionBelow(ctx context.Context, key, version string) (string, bool, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	found := false
	for info := range b.client.ListObjectsIter(ctx, b.bucket, minio.ListObjectsOptions{
		Prefix: key, WithVersions: true, Recursive: true, MaxKeys: 10,
	}) {
		if info.Err != nil {
			return "", false, info.Err
		}
		if info.Key != key {
			break // the key's own versions come first
		}
		switch {
		case found && info.IsDeleteMarker:
			return "", true, nil
		case found:
			return info.VersionID, true, nil
		case info.VersionID == version:
			found = true
		}
	}
	return "", found, nil
}

// RemoveDir removes every object whose key starts with dir's key and "/",
// including a "dir/" marker object some tools create. On a versioned
// bucket each gets a delete marker. An absent directory is success.
func (b *Backend) RemoveDir(ctx context.Context, dir string) error {
	prefix, err := b.key("remove directory", dir)
	if err != nil {
		return err
	}
	prefix += "/"
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	listErr := make(chan error, 1)
	objects := make(chan minio.ObjectInfo)
	go func() {
		defer close(objects)
		for info := range b.client.ListObjectsIter(ctx, b.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
			if info.Err != nil {
				listErr <- info.Err
				return
			}
			select {
			case objects <- minio.ObjectInfo{Key: info.Key}:
			case <-ctx.Done():
				return
			}
		}
		listErr <- nil
	}()
	var firstErr error
	for res := range b.client.RemoveObjectsWithResult(ctx, b.bucket, objects, minio.RemoveObjectsOptions{}) {
		if res.Err != nil && firstErr == nil && !isAbsent(res.Err) {
			firstErr = res.Err
			cancel()
		}
	}
	cancel()
	select {
	case err := <-listErr:
		if firstErr == nil {
			firstErr = err
		}
	default: // stopped by cancel
	}
	return classify("remove directory", dir, firstErr)
}

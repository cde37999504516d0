package s3

import (
	"context"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
	"github.com/minio/minio-go/v7"
)

// List calls fn for every export name under prefix, from a paged listing
// (1,000 keys a page), so memory does not grow with the bucket. Keys that
// are no export name (directory markers, names [backends.ValidName]
// rejects) and reserved names are skipped. On a bucket that has had
// versioning (enabled or suspended) it lists versions, to report each
// current one's version ID as its CID, as HEAD does.
//
// Labels come with the listing from MinIO, which returns user metadata on
// request. Other servers (AWS) ignore that request; for each object
// without any metadata in the listing, List then HEADs it for its label.
// A listing reports no digests: it does not say whether an object is
// encrypted, which decides whether its ETag is an MD5 (see digestsOf).
func (b *Backend) List(ctx context.Context, prefix string, fn func(backends.Info) error) error {
	return b.list(ctx, prefix, fn, true)
}

// ListUnlabeled is List without labels: a plain listing, which MinIO
// serves 2–3 times faster, and no HEAD per object where the server does
// not list metadata.
func (b *Backend) ListUnlabeled(ctx context.Context, prefix string, fn func(backends.Info) error) error {
	return b.list(ctx, prefix, fn, false)
}

func (b *Backend) list(ctx context.Context, prefix string, fn func(backends.Info) error, labels bool) error {
	keyPrefix, err := b.dirKey("list", prefix)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	opts := minio.ListObjectsOptions{Prefix: keyPrefix, Recursive: true, WithVersions: b.listVersions, WithMetadata: labels}
	for info := range b.client.ListObjectsIter(ctx, b.bucket, opts) {
		if info.Err != nil {
			return classify("list", prefix, info.Err)
		}
		if b.listVersions && (!info.IsLatest || info.IsDeleteMarker) {
			continue
		}
		name, ok := b.name(info.Key)
		if !ok || backends.Reserved(name) {
			continue
		}
		o := objectOf(info)
		if labels && info.UserMetadata == nil {
			// No metadata at all: the server does not list it.
			if o, err = b.head(ctx, info.Key, info.VersionID); isAbsent(err) {
				continue // removed since listed
			} else if err != nil {
				return classify("list", name, err)
			}
		}
		if err := fn(backends.Info{Name: name, Size: o.size, CID: o.cid(), Label: o.label}); err != nil {
			return err
		}
	}
	return nil
}

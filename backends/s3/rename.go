package s3

import (
	"context"
	"fmt"
	"sync"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/s3utils"
)

// Rename moves the content under from to to, when cond allows the content
// under from and toCond the content under to.
//
// It copies on the server exactly the version a HEAD checked (by version ID,
// and with x-amz-copy-source-if-match on its ETag, so a concurrent
// overwrite of from makes the copy fail with ErrConflict and changes
// nothing), then deletes exactly that version of from. On an unversioned
// bucket the source is deleted only if a second HEAD still finds the copied
// ETag; an overwrite of from in the round trip between that HEAD and the
// DELETE would be lost, as for [Backend.Remove].
//
// An unconditional toCond gets a single CopyObject. S3 and MinIO ignore
// If-Match and If-None-Match on CopyObject, so a conditional toCond (and
// any object above the single-copy limit, 5 GiB) is copied in parts into
// a multipart upload whose completion carries the condition, as for
// [Backend.Store]: the server checks the destination as the copy becomes
// visible, and a failed check aborts the upload and changes nothing. The
// windows left are Store's: a "v:" CID is matched by the ETag of that
// version (the same bytes, harmless to replace), and a completion that
// succeeded but whose answer was lost fails its retry, so Rename reports
// ErrConflict, to holds the copy and from is left in place.
func (b *Backend) Rename(ctx context.Context, from, to string, cond, toCond backends.Condition) error {
	fromKey, err := b.key("rename", from)
	if err != nil {
		return err
	}
	toKey, err := b.key("rename", to)
	if err != nil {
		return err
	}
	o, err := b.head(ctx, fromKey, "")
	if _, ok := cond.Expected(); ok && isAbsent(err) {
		return backends.Conflict("rename", from, cond, "", false)
	}
	if err != nil {
		return classify("rename", from, err)
	}
	if !cond.Allows(o.cid(), true) {
		return backends.Conflict("rename", from, cond, o.cid(), true)
	}
	if fromKey == toKey {
		if !toCond.Allows(o.cid(), true) {
			return backends.Conflict("rename", to, toCond, o.cid(), true)
		}
		return nil
	}
	if o.size <= b.copyLimit && toCond.IsUnconditional() {
		headers := map[string]string{"x-amz-copy-source-if-match": o.etag}
		if b.storageClass != "" {
			headers["x-amz-storage-class"] = b.storageClass
		}
		_, err = b.core.CopyObject(ctx, b.bucket, fromKey, b.bucket, toKey, headers,
			minio.CopySrcOptions{VersionID: o.versionID}, minio.PutObjectOptions{})
	} else {
		var dst minio.PutObjectOptions // carries only the condition headers
		if err := b.storeCondition(ctx, "rename", toKey, to, toCond, &dst); err != nil {
			return err
		}
		err = b.copyMultipart(ctx, fromKey, toKey, to, toCond, o, dst)
	}
	if err != nil {
		return classify("rename", from, err)
	}
	if TestHookStep != nil {
		TestHookStep(StepCopied)
	}
	if !b.pinnable(o) {
		cur, err := b.head(ctx, fromKey, "")
		if isAbsent(err) || (err == nil && cur.etag != o.etag) {
			return nil // from was removed or overwritten meanwhile: leave that
		}
		if err != nil {
			return classify("rename", from, err)
		}
	}
	return classify("rename", from, b.removeExact(ctx, fromKey, o))
}

// StepCopied is the step of a rename at which a crash test may stop the
// program through [TestHookStep] and kill it: the copy is complete and the
// source not yet deleted, so both names hold the content.
const StepCopied = "copied"

// TestHookStep is for crash tests only, and nil in normal use: when set
// (before the first operation), it runs at StepCopied and may block there
// until the process is killed.
var TestHookStep func(step string)

// copyMultipart copies version o of fromKey to toKey (named to) in parts,
// Parallelism at a time, each pinned to o's version and ETag, and completes
// the upload with the condition headers of dst, which enforce toCond; on
// failure the upload is aborted. Errors of the completion name to.
func (b *Backend) copyMultipart(ctx context.Context, fromKey, toKey, to string, toCond backends.Condition, o object, dst minio.PutObjectOptions) (err error) {
	put := minio.PutObjectOptions{ContentType: "application/octet-stream", StorageClass: b.storageClass}
	if o.label != "" {
		put.UserMetadata = map[string]string{labelMeta: encodeLabel(o.label)}
	}
	uploadID, err := b.core.NewMultipartUpload(ctx, b.bucket, toKey, put)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			b.abort(ctx, toKey, uploadID)
		}
	}()
	source := s3utils.EncodePath(b.bucket + "/" + fromKey)
	if o.versionID != "" {
		source += "?versionId=" + o.versionID
	}
	headers := map[string]string{"x-amz-copy-source": source, "x-amz-copy-source-if-match": o.etag}

	partSize := max(b.copyPartSize, (o.size+maxParts-1)/maxParts)
	count := max(1, int((o.size+partSize-1)/partSize))
	parts := make([]minio.CompletePart, count)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sem := make(chan struct{}, b.parallelism)
	var wg sync.WaitGroup
	for i := 0; i < count && ctx.Err() == nil; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			start := int64(i) * partSize
			length := min(partSize, o.size-start)
			if count == 1 {
				length = -1 // the whole object, which may be empty
			}
			p, err := b.core.CopyObjectPart(ctx, b.bucket, fromKey, b.bucket, toKey, uploadID, i+1, start, length, headers)
			if err != nil {
				cancel(err)
				return
			}
			parts[i] = p
		}()
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	_, err = b.core.CompleteMultipartUpload(ctx, b.bucket, toKey, uploadID, parts, dst)
	if _, ok := toCond.Expected(); ok && isAbsent(err) {
		// If-Match on an absent key: S3 answers 404.
		return backends.Conflict("rename", to, toCond, "", false)
	}
	if err != nil && !toCond.IsUnconditional() {
		err = fmt.Errorf("%s: %w", toCond, err)
	}
	return classify("rename", to, err)
}

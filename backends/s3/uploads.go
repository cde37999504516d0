package s3

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
)

const (
	// abortTimeout bounds an abort made after its store's context is done,
	// and Close.
	abortTimeout = time.Minute
	// staleAfter is how long an incomplete multipart upload must have
	// been idle (neither initiated nor given a part) for Sweep to take it
	// for the leftover of a dead process.
	staleAfter = time.Hour
	// maxAbandoned bounds the uploads a process remembers to abort;
	// beyond, the oldest are left to Sweep.
	maxAbandoned = 1000
)

// upload names one multipart upload.
type upload struct{ key, id string }

// abort cancels a multipart upload so its parts do not linger (and cost).
// It runs even when ctx is canceled, with a bound of its own. When the
// server cannot be told, the upload is remembered for retryAborts.
func (b *Backend) abort(ctx context.Context, key, uploadID string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abortTimeout)
	defer cancel()
	if err := b.abortUpload(ctx, upload{key, uploadID}); err != nil {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.abandoned = append(b.abandoned, upload{key, uploadID})
		if n := len(b.abandoned) - maxAbandoned; n > 0 {
			b.abandoned = append(b.abandoned[:0], b.abandoned[n:]...)
		}
	}
}

// abortUpload aborts u; an upload already gone (aborted by a sweep, or an
// abort whose answer was lost) counts as aborted.
func (b *Backend) abortUpload(ctx context.Context, u upload) error {
	err := b.core.AbortMultipartUpload(ctx, b.bucket, u.key, u.id)
	if isNoSuchUpload(err) {
		return nil
	}
	return err
}

func isNoSuchUpload(err error) bool {
	var resp minio.ErrorResponse
	return errors.As(err, &resp) && resp.Code == "NoSuchUpload"
}

// retryAborts aborts the uploads whose abort failed earlier in this
// process. It stops at the first failure (the server is likely still
// unreachable) and keeps what is left for next time.
func (b *Backend) retryAborts(ctx context.Context) error {
	b.mu.Lock()
	todo := b.abandoned
	b.abandoned = nil
	b.mu.Unlock()
	for i, u := range todo {
		if err := b.abortUpload(ctx, u); err != nil {
			b.mu.Lock()
			b.abandoned = append(b.abandoned, todo[i:]...)
			b.mu.Unlock()
			return fmt.Errorf("aborting the incomplete multipart upload of %q: %w", u.key, err)
		}
	}
	return nil
}

// Close aborts the multipart uploads this process failed to abort, if the
// server can be reached now, within a minute. It reports those it still
// could not abort; a later Sweep removes them.
func (b *Backend) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), abortTimeout)
	defer cancel()
	if err := b.retryAborts(ctx); err != nil {
		b.mu.Lock()
		n := len(b.abandoned)
		b.mu.Unlock()
		return classify("close", b.prefix, fmt.Errorf("%d incomplete multipart upload(s) left for a later sweep: %w", n, err))
	}
	return nil
}

// Sweep aborts the incomplete multipart uploads under the prefix that
// crashed or disconnected stores left: first those this process failed to
// abort, then any that has been idle for an hour by the server's clock,
// that is initiated and given no part for an hour. A live store completes
// a part at least that often unless it sends less than a part an hour.
// With an empty prefix the whole bucket is the tree's, and so are other
// tools' uploads idle that long.
//
// It lists the uploads of the whole bucket and keeps those under the
// prefix, because MinIO lists uploads only for a whole bucket or a whole
// key, not for a prefix.
func (b *Backend) Sweep(ctx context.Context) error {
	if err := b.retryAborts(ctx); err != nil {
		return classify("sweep", b.prefix, err)
	}
	var firstErr error
	keyMarker, idMarker := "", ""
	for {
		res, err := b.core.ListMultipartUploads(ctx, b.bucket, "", keyMarker, idMarker, "", 1000)
		if err != nil {
			return classify("sweep", b.prefix, err)
		}
		now := b.now()
		for _, u := range res.Uploads {
			if !strings.HasPrefix(u.Key, b.prefix) || now.Sub(u.Initiated) < staleAfter {
				continue
			}
			last, err := b.lastPart(ctx, u.Key, u.UploadID)
			if err == nil && now.Sub(last) >= staleAfter {
				err = b.abortUpload(ctx, upload{u.Key, u.UploadID})
			}
			if err != nil && !isNoSuchUpload(err) && firstErr == nil {
				firstErr = classify("sweep", strings.TrimPrefix(u.Key, b.prefix), err)
			}
		}
		if !res.IsTruncated || (res.NextKeyMarker == keyMarker && res.NextUploadIDMarker == idMarker) {
			return firstErr
		}
		keyMarker, idMarker = res.NextKeyMarker, res.NextUploadIDMarker
	}
}

// lastPart returns when the latest part of an upload was stored, or the
// zero time when it has none.
func (b *Backend) lastPart(ctx context.Context, key, uploadID string) (time.Time, error) {
	var last time.Time
	marker := 0
	for {
		res, err := b.core.ListObjectParts(ctx, b.bucket, key, uploadID, marker, 1000)
		if err != nil {
			return last, err
		}
		for _, p := range res.ObjectParts {
			if p.LastModified.After(last) {
				last = p.LastModified
			}
		}
		if !res.IsTruncated || res.NextPartNumberMarker <= marker {
			return last, nil
		}
		marker = res.NextPartNumberMarker
	}
}

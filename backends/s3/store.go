package s3

import (
	"context"
	"fmt"
	"io"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
	"github.com/minio/minio-go/v7"
)

// Store uploads r under name and returns the CID from the response of the
// request that made the content visible (the PUT, or the completion of a
// multipart upload), never from a later request.
//
// Content up to the part size is read into memory and goes in one PUT;
// larger or unknown-size content in a multipart upload whose parts are
// sent in parallel. Either is atomic: nothing is visible until the PUT or
// the completion succeeds, and a failed multipart upload is aborted (see
// the package doc for when the server cannot be told). Every request body
// is in memory, so minio-go retries any request that fails on the way or
// with a retryable answer (499, 500, 503 SlowDown, ...). opts.Progress learns
// how many bytes the transport has sent, as it sends them.
//
// Conditions are checked by the server on that same request:
// [backends.NothingThere] sends If-None-Match: *, and [backends.Matches]
// sends If-Match with the expected ETag. For a "v:" CID that ETag is
// learned first by a HEAD of exactly that version; the only window this
// leaves is that the current content may be another version with the same
// ETag, that is the same bytes, which it is harmless to replace.
//
// On a versioned bucket, an upload by another program that is still in
// flight when the condition is checked can end up a noncurrent version
// below this one (the server orders versions by when requests started): it
// is not lost, and stays readable by its version ID.
//
// If a conditional request succeeded but its answer was lost, the retry
// fails its condition: Store then reports ErrConflict although its content
// was stored; it never reports success wrongly.
func (b *Backend) Store(ctx context.Context, name string, r io.Reader, opts backends.StoreOptions) (backends.CID, error) {
	key, err := b.key("store", name)
	if err != nil {
		return "", err
	}
	// Uploads earlier stores failed to abort go first; failing again
	// here is no reason to fail this store.
	b.retryAborts(ctx)
	var cond minio.PutObjectOptions // carries only the condition headers
	if err := b.storeCondition(ctx, "store", key, name, opts.If, &cond); err != nil {
		return "", err
	}
	put := cond
	put.ContentType = "application/octet-stream"
	put.StorageClass = b.storageClass
	if opts.Label != "" {
		put.UserMetadata = map[string]string{labelMeta: encodeLabel(opts.Label)}
	}

	src := &sourceReader{r: r, want: opts.Size}
	prog := newProgress(opts.Progress)
	info, size, err := b.upload(ctx, key, src, opts.Size, put, cond, prog)
	prog.finish(size, err == nil)
	if err != nil {
		// A failing source is the caller's problem, not the storage's.
		if serr := src.failed(); serr != nil {
			return "", &backends.Error{Op: "store", Name: name, Err: serr}
		}
		if _, ok := opts.If.Expected(); ok && isAbsent(err) {
			// If-Match on an absent key: S3 answers 404.
			return "", backends.Conflict("store", name, opts.If, "", false)
		}
		return "", classify("store", name, err)
	}
	return cidOf(info.VersionID, info.ETag, size), nil
}

// upload sends what src yields (size bytes, or -1 when unknown) in a
// single PUT or a multipart upload, and returns the answer and the number
// of bytes stored.
func (b *Backend) upload(ctx context.Context, key string, src *sourceReader, size int64, put, cond minio.PutObjectOptions, prog *progress) (minio.UploadInfo, int64, error) {
	var data []byte
	defer func() {
		if cap(data) > 0 {
			b.buffers(-int64(cap(data)))
		}
	}()
	switch {
	case size == 0:
		// An empty body may never be read: look for extra bytes first.
		if err := src.probe(); err != nil {
			return minio.UploadInfo{}, 0, err
		}
	case size > 0 && size <= b.partSize:
		data = b.buffer(size)
		if _, err := io.ReadFull(src, data); err != nil {
			return minio.UploadInfo{}, 0, err
		}
	case size > 0:
		return b.putMultipart(ctx, key, nil, src, size, put, cond, prog)
	default:
		// Unknown size: what fits in one part goes in one PUT.
		data = b.buffer(b.partSize)
		n, err := io.ReadFull(src, data)
		switch {
		case err == nil:
			return b.putMultipart(ctx, key, data, src, -1, put, cond, prog)
		case err != io.EOF && err != io.ErrUnexpectedEOF:
			return minio.UploadInfo{}, 0, err
		}
		data = data[:n]
	}
	info, err := b.core.PutObject(ctx, b.bucket, key, prog.body(data), int64(len(data)), "", "", put)
	return info, int64(len(data)), err
}

// storeCondition sets on opts the headers that make the server enforce c
// on the object a PUT or a multipart completion writes (op names the
// operation in errors).
func (b *Backend) storeCondition(ctx context.Context, op, key, name string, c backends.Condition, opts *minio.PutObjectOptions) error {
	if c.WantsNothing() {
		opts.SetMatchETagExcept("*")
		return nil
	}
	cid, ok := c.Expected()
	if !ok {
		return nil
	}
	want, ok := parseCID(cid)
	if !ok {
		return backends.Errorf(op, name, backends.ErrConflict, "%s is no CID of this backend", cid)
	}
	etag := want.etag
	if want.version != "" {
		// S3 has no If-Match on version IDs: match the ETag of exactly
		// that version instead.
		o, err := b.head(ctx, key, want.version)
		if isAbsent(err) || isBadRequest(err) {
			return backends.Errorf(op, name, backends.ErrConflict, "version %s is gone, %s", want.version, c)
		}
		if err != nil {
			return classify(op, name, err)
		}
		etag = o.etag
	}
	opts.SetMatchETag(etag)
	return nil
}

// putMultipart uploads src (after first, when given) in parts of the part
// size, Parallelism at a time, and completes the upload with the condition
// headers of cond. size is the total, or -1 when unknown. On failure the
// upload is aborted, even when ctx is done.
func (b *Backend) putMultipart(ctx context.Context, key string, first []byte, src io.Reader, size int64, put, cond minio.PutObjectOptions, prog *progress) (info minio.UploadInfo, total int64, err error) {
	partSize := b.partSize
	if size > partSize*maxParts {
		// Grow parts, in whole MiB, so the content fits in 10,000.
		partSize = ((size+maxParts-1)/maxParts + 1<<20 - 1) &^ (1<<20 - 1)
		if partSize > MaxPartSize {
			return info, 0, fmt.Errorf("%d bytes exceed the largest S3 object", size)
		}
	}
	// The condition goes only on the completion, where S3 checks it;
	// some servers reject it on the initiation.
	init := minio.PutObjectOptions{
		ContentType:  put.ContentType,
		StorageClass: put.StorageClass,
		UserMetadata: put.UserMetadata,
	}
	uploadID, err := b.core.NewMultipartUpload(ctx, b.bucket, key, init)
	if err != nil {
		return info, 0, err
	}
	defer func() {
		if err != nil {
			b.abort(ctx, key, uploadID)
		}
	}()

	parts, total, err := b.uploadParts(ctx, key, uploadID, first, src, partSize, prog)
	if err != nil {
		return info, 0, err
	}
	info, err = b.core.CompleteMultipartUpload(ctx, b.bucket, key, uploadID, parts, cond)
	return info, total, err
}

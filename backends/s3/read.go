package s3

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
	"github.com/minio/minio-go/v7"
)

// errGone stands for "that version is a delete marker", which S3 answers
// with 405 rather than 404.
var errGone = minio.ErrorResponse{Code: "NoSuchVersion", Message: "the version is a delete marker"}

// head describes the current version of key, or exactly version when it is
// not "". A delete marker counts as absent.
func (b *Backend) head(ctx context.Context, key, version string) (object, error) {
	info, err := b.stat(ctx, key, minio.StatObjectOptions{VersionID: version})
	if err != nil {
		return object{}, err
	}
	return objectOf(info), nil
}

func (b *Backend) stat(ctx context.Context, key string, opts minio.StatObjectOptions) (minio.ObjectInfo, error) {
	info, err := b.client.StatObject(ctx, b.bucket, key, opts)
	if info.IsDeleteMarker {
		return minio.ObjectInfo{}, errGone
	}
	return info, err
}

// Stat describes the current content under name with one HEAD, label
// included, and the digests that HEAD vouches for (see digestsOf).
func (b *Backend) Stat(ctx context.Context, name string) (backends.Info, error) {
	key, err := b.key("stat", name)
	if err != nil {
		return backends.Info{}, err
	}
	var opts minio.StatObjectOptions
	opts.Checksum = true // x-amz-checksum-mode: ENABLED
	info, err := b.stat(ctx, key, opts)
	if err != nil {
		return backends.Info{}, classify("stat", name, err)
	}
	o := objectOf(info)
	sha256, md5 := digestsOf(info)
	return backends.Info{Name: name, Size: o.size, CID: o.cid(), Label: o.label, SHA256: sha256, MD5: md5}, nil
}

// Retrieve streams the current content under name to w from a single GET,
// which S3 serves from one version even when the object is overwritten
// meanwhile. A pin is checked by that same GET: a "v:" pin must be the
// version the GET answers, an "e:" pin is sent as If-Match, so no byte of
// other content is written.
func (b *Backend) Retrieve(ctx context.Context, name string, pin backends.CID, w io.Writer) (backends.CID, error) {
	key, err := b.key("retrieve", name)
	if err != nil {
		return "", err
	}
	var want expected
	var opts minio.GetObjectOptions
	if pin != "" {
		var ok bool
		if want, ok = parseCID(pin); !ok {
			return "", backends.Errorf("retrieve", name, backends.ErrConflict, "%s is no CID of this backend", pin)
		}
		if want.etag != "" {
			if err := opts.SetMatchETag(want.etag); err != nil {
				return "", classify("retrieve", name, err)
			}
		}
	}
	body, info, _, err := b.core.GetObject(ctx, b.bucket, key, opts)
	if err != nil {
		return "", classify("retrieve", name, err)
	}
	defer body.Close()
	o := objectOf(info)
	if pin != "" && o.cid() != pin {
		return "", backends.Errorf("retrieve", name, backends.ErrConflict, "content is %s, not %s", o.cid(), pin)
	}
	src := &errReader{r: body}
	n, err := io.Copy(w, src)
	if err != nil {
		if src.err != nil {
			return "", classify("retrieve", name, err)
		}
		return "", &backends.Error{Op: "retrieve", Name: name, Err: err} // the writer's
	}
	if n != o.size {
		return "", &backends.Error{Op: "retrieve", Name: name, Class: backends.ErrUnreachable,
			Err: fmt.Errorf("got %d of %d bytes", n, o.size)}
	}
	return o.cid(), nil
}

// errReader remembers the error of the reader, to tell it from the
// writer's in io.Copy.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		e.err = err
	}
	return n, err
}

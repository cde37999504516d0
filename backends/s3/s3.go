// Package s3 is the [backends.Backend] for S3 and S3-compatible object
// storage (AWS, MinIO, ...), built on minio-go.
//
// Start with [Open]. An export name maps to the object key
// [Config.Prefix] + name. Content identifiers come from the response of the
// very PUT that stored the content: "v:<version id>" on a versioned bucket,
// "e:<etag>:<size>" otherwise, so a store and its CID can never describe
// two different contents. [Backend.PublicURL] gives the address of a name
// on a bucket served publicly.
//
// Every condition is enforced by the server where S3 allows it
// (If-None-Match / If-Match on PUT and on completing a multipart upload,
// x-amz-copy-source-if-match on copy, version IDs on read and delete). The
// few places where S3 offers no atomic check are documented on the method
// concerned; none of them can make a reader see mixed content.
//
// # Failures
//
// Every request body is held in memory (a store holds at most
// [Config.Parallelism] parts of [Config.PartSize]), so minio-go retries
// any request that fails on the way or is answered 499 (dropped as
// canceled), 500, 503 (SlowDown) and the like, up to [Config.MaxRetries]
// times, before the error reaches the caller. A bucket that disappears after [Open] makes every operation fail
// with [backends.ErrUnreachable], as an unmounted drive does: it never
// reads as "every name is absent". (Except for Stat on servers that, like
// AWS, answer a HEAD without a body, which says only "404": then the
// name reads as absent.)
//
// # Interrupted uploads
//
// A multipart upload that fails is aborted. When the server cannot be
// reached, the abort cannot be either, and the upload stays: invisible
// (no name shows it) but holding its parts. The backend remembers it and
// aborts it at the start of the next [Backend.Store], in [Backend.Sweep]
// and in [Backend.Close], so a process that retries after an outage
// cleans up after itself. Uploads of processes that died are for
// [Backend.Sweep], which aborts those under the prefix idle for an hour:
// initiated more than an hour ago, by the server's clock, and given no
// part for an hour. A live store of another process is therefore safe
// unless it takes more than an hour to send one part (at the default part
// size, a rate under 4.6 KB/s); such a store would fail, never store wrong
// content. For the same reason Store does not abort other uploads of its
// key before it starts: a young one may be a concurrent store's.
//
// MinIO lists incomplete uploads only for one exact key, or for a whole
// bucket but then only those initiated since it started: Sweep misses
// uploads left across a MinIO restart. MinIO removes those itself after a
// day by default (its api stale_uploads_expiry setting); AWS leaves them
// to a lifecycle rule (AbortIncompleteMultipartUpload) or to Sweep.
package s3

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/s3utils"
)

// PathStyle selects how the bucket is addressed in request URLs.
type PathStyle uint8

const (
	// PathStyleAuto lets minio-go choose: virtual-host style for AWS and
	// known providers, path style otherwise.
	PathStyleAuto PathStyle = iota
	// PathStylePath addresses https://host/bucket/key.
	PathStylePath
	// PathStyleVirtual addresses https://bucket.host/key.
	PathStyleVirtual
)

// ParsePathStyle maps "", "auto", "path" and "virtual" (also "host" and
// "dns", other tools' spellings) to a PathStyle.
func ParsePathStyle(s string) (PathStyle, error) {
	switch strings.ToLower(s) {
	case "", "auto":
		return PathStyleAuto, nil
	case "path":
		return PathStylePath, nil
	case "virtual", "host", "dns":
		return PathStyleVirtual, nil
	}
	return 0, fmt.Errorf("unknown S3 path style %q (want auto, path or virtual)", s)
}

// Defaults for the zero values of [Config].
const (
	DefaultPartSize    = 8 << 20
	DefaultParallelism = 4
	// MinPartSize is the smallest part S3 accepts (but for the last).
	MinPartSize = 5 << 20
	// MaxPartSize is the largest part S3 accepts.
	MaxPartSize = 5 << 30
	maxParts    = 10000
)

// Config says where the exported tree lives and how to reach it.
type Config struct {
	// Endpoint is the server's URL, http or https, without a path, like
	// http://127.0.0.1:9000. Empty means AWS (https://s3.amazonaws.com).
	Endpoint string
	// Region of the bucket; empty lets minio-go discover it.
	Region string
	Bucket string
	// Prefix is prepended verbatim to every name to form its key; end it
	// with "/" to keep the tree in a folder.
	Prefix    string
	PathStyle PathStyle

	// Creds, when set, supplies the credentials; otherwise AccessKey,
	// SecretKey and SessionToken do. All empty means anonymous requests.
	Creds        *credentials.Credentials
	AccessKey    string
	SecretKey    string
	SessionToken string

	// PartSize is the size of the parts of a multipart upload (default
	// DefaultPartSize, at least MinPartSize); content up to that size
	// goes in a single PUT. A store buffers at most PartSize ×
	// Parallelism bytes. Content of unknown size is limited to 10,000
	// parts.
	PartSize int64
	// Parallelism is how many parts upload at once (default
	// DefaultParallelism).
	Parallelism int
	// StorageClass for new objects; empty means the bucket's default.
	StorageClass string

	// CreateBucket makes Open create the bucket when it does not exist.
	CreateBucket bool
	// SkipWriteCheck makes Open skip its probe of write permission (for
	// read-only use such as retrieving from a public bucket).
	SkipWriteCheck bool
	// MaxRetries bounds how often minio-go tries a request whose body can
	// be replayed (0 means minio-go's default, 1 disables retries).
	MaxRetries int
	// Transport, when set, carries the HTTP requests (proxies, custom
	// TLS, tests); nil means minio-go's default.
	Transport http.RoundTripper
	// Buffers, when set, hears of the memory stores hold content in: n
	// bytes taken (positive) or given up (negative). Most of a store's
	// memory is these buffers; the program sizes its garbage collector's
	// memory limit by them.
	Buffers func(n int64)
}

// Backend stores an exported tree in an S3 bucket.
type Backend struct {
	client    *minio.Client
	core      minio.Core
	bucket    string
	prefix    string
	versioned bool
	// listVersions: the bucket has had versioning (enabled or suspended),
	// so objects may carry version IDs that only a listing of versions
	// reports.
	listVersions bool
	partSize     int64
	parallelism  int
	storageClass string

	// copyLimit is the largest object copied with a single CopyObject;
	// larger ones are copied in parts of copyPartSize. Tests lower them.
	copyLimit    int64
	copyPartSize int64

	// now is the server's clock (see serverClock); tests move it.
	now func() time.Time

	buffers func(n int64) // Config.Buffers, or nothing

	// abandoned are the multipart uploads whose abort failed (the server
	// was unreachable); see retryAborts.
	mu        sync.Mutex
	abandoned []upload
}

var (
	_ backends.Backend    = (*Backend)(nil)
	_ backends.Renamer    = (*Backend)(nil)
	_ backends.DirRemover = (*Backend)(nil)
	_ backends.Sweeper    = (*Backend)(nil)
	_ backends.Closer     = (*Backend)(nil)
)

// Open connects to the bucket and checks the setup: the endpoint answers,
// the credentials are accepted, the bucket exists (or is created when
// cfg.CreateBucket), and objects can be written under the prefix. Failures
// are classified: [backends.ErrUnreachable], [backends.ErrRefused] (bad
// credentials, no permission, bad configuration) or [backends.ErrNotFound]
// (no such bucket).
func Open(ctx context.Context, cfg Config) (*Backend, error) {
	client, clock, err := newClient(cfg)
	if err != nil {
		return nil, &backends.Error{Op: "open", Name: cfg.Bucket, Class: backends.ErrRefused, Err: err}
	}
	b := &Backend{
		client:       client,
		core:         minio.Core{Client: client},
		bucket:       cfg.Bucket,
		prefix:       cfg.Prefix,
		partSize:     cfg.PartSize,
		parallelism:  cfg.Parallelism,
		storageClass: cfg.StorageClass,
		copyLimit:    MaxPartSize,
		copyPartSize: 1 << 30,
		now:          clock.now,
		buffers:      cfg.Buffers,
	}
	if b.buffers == nil {
		b.buffers = func(int64) {}
	}
	if b.partSize == 0 {
		b.partSize = DefaultPartSize
	}
	if b.partSize < MinPartSize || b.partSize > MaxPartSize {
		return nil, backends.Errorf("open", cfg.Bucket, backends.ErrRefused,
			"part size %d out of range [%d, %d]", b.partSize, MinPartSize, MaxPartSize)
	}
	if b.parallelism <= 0 {
		b.parallelism = DefaultParallelism
	}
	if err := checkPrefix(cfg.Prefix); err != nil {
		return nil, backends.Errorf("open", cfg.Bucket, backends.ErrRefused, "prefix %q %s", cfg.Prefix, err)
	}
	if err := b.checkBucket(ctx, cfg.CreateBucket, cfg.Region); err != nil {
		return nil, err
	}
	versioning, err := client.GetBucketVersioning(ctx, b.bucket)
	if err != nil {
		return nil, classify("open", b.bucket, fmt.Errorf("reading the versioning configuration: %w", err))
	}
	// Suspended versioning gives new objects the "null" version, which
	// cannot serve as a CID: such a bucket counts as unversioned. Objects
	// stored while it was enabled keep their version IDs, which HEAD
	// reports, so listings must report them too.
	b.versioned = versioning.Enabled()
	b.listVersions = versioning.Enabled() || versioning.Suspended()
	if !cfg.SkipWriteCheck {
		if err := b.checkWrite(ctx); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// checkPrefix refuses a prefix whose keys would not round-trip: not UTF-8,
// or with a directory part that is empty ("/x", "a//b") or "." or "..",
// which some servers (MinIO) silently normalise, so that listings under the
// prefix as given would miss what was stored.
func checkPrefix(prefix string) error {
	if !utf8.ValidString(prefix) {
		return errors.New("is not UTF-8")
	}
	dirs := strings.Split(prefix, "/")
	for _, d := range dirs[:len(dirs)-1] { // the last part is a name's start
		if d == "" || d == "." || d == ".." {
			return fmt.Errorf("has a directory part %q: keys under it are normalised differently by different servers", d)
		}
	}
	return nil
}

func newClient(cfg Config) (*minio.Client, *serverClock, error) {
	if err := s3utils.CheckValidBucketName(cfg.Bucket); err != nil {
		return nil, nil, fmt.Errorf("bucket %q: %w", cfg.Bucket, err)
	}
	host, secure := "s3.amazonaws.com", true
	if cfg.Endpoint != "" {
		u, err := url.Parse(cfg.Endpoint)
		if err != nil {
			return nil, nil, fmt.Errorf("endpoint: %w", err)
		}
		switch {
		case u.Scheme != "http" && u.Scheme != "https":
			return nil, nil, fmt.Errorf("endpoint %q: scheme must be http or https", cfg.Endpoint)
		case u.User != nil:
			// Credentials in the URL would end up in error messages.
			return nil, nil, errors.New("endpoint: credentials in the URL are not supported; use the credential settings")
		case u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "":
			return nil, nil, fmt.Errorf("endpoint %q: want scheme://host[:port] only", cfg.Endpoint)
		}
		host, secure = u.Host, u.Scheme == "https"
	}
	creds := cfg.Creds
	if creds == nil {
		creds = credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, cfg.SessionToken)
	}
	lookup := minio.BucketLookupAuto
	switch cfg.PathStyle {
	case PathStylePath:
		lookup = minio.BucketLookupPath
	case PathStyleVirtual:
		lookup = minio.BucketLookupDNS
	}
	clock := &serverClock{next: cfg.Transport}
	if clock.next == nil {
		var err error
		if clock.next, err = minio.DefaultTransport(secure); err != nil {
			return nil, nil, err
		}
	}
	client, err := minio.New(host, &minio.Options{
		Creds:        creds,
		Secure:       secure,
		Region:       cfg.Region,
		BucketLookup: lookup,
		MaxRetries:   cfg.MaxRetries,
		Transport:    clock,
	})
	return client, clock, err
}

func (b *Backend) checkBucket(ctx context.Context, create bool, region string) error {
	ok, err := b.client.BucketExists(ctx, b.bucket)
	if err != nil {
		return classify("open", b.bucket, err)
	}
	if ok {
		return nil
	}
	if !create {
		return backends.Errorf("open", b.bucket, backends.ErrNotFound, "no bucket %q", b.bucket)
	}
	err = b.client.MakeBucket(ctx, b.bucket, minio.MakeBucketOptions{Region: region})
	var resp minio.ErrorResponse
	if errors.As(err, &resp) && (resp.Code == "BucketAlreadyOwnedByYou" || resp.Code == "BucketAlreadyExists") {
		// Created concurrently; BucketAlreadyExists means someone else
		// owns it, which the write check below reports as refused.
		return nil
	}
	return classify("create bucket", b.bucket, err)
}

// checkWrite proves write permission under the prefix without leaving an
// object, a version or a delete marker: it starts a multipart upload (which
// needs s3:PutObject) and aborts it.
func (b *Backend) checkWrite(ctx context.Context) error {
	key := b.prefix + backends.ReservedPrefix + "-write-check"
	id, err := b.core.NewMultipartUpload(ctx, b.bucket, key, minio.PutObjectOptions{})
	if err != nil {
		return classify("check write permission", b.prefix, err)
	}
	if err := b.core.AbortMultipartUpload(ctx, b.bucket, key, id); err != nil {
		return classify("check write permission", b.prefix, err)
	}
	return nil
}

// Versioned reports whether the bucket had versioning enabled when it was
// opened; CIDs of content stored since are version IDs.
func (b *Backend) Versioned() bool { return b.versioned }

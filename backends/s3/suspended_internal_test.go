package s3

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
	"github.com/exporttree/git-annex-remote-exporttree/backends/s3/s3test"
	"github.com/minio/minio-go/v7"
)

// A bucket whose versioning was enabled and then suspended: objects stored
// meanwhile keep their version IDs. Listing and Stat name them alike, so
// that what was listed can be retrieved and removed by its CID.
func TestSuspendedVersioningListsAsStat(t *testing.T) {
	srv := s3test.Shared(t)
	bucket := srv.NewBucket(t, true)
	ctx := t.Context()
	cfg := Config{Endpoint: srv.Endpoint, Bucket: bucket, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, PartSize: MinPartSize}
	b := openSuspended(t, srv, cfg, "versioned", "hello")
	if _, err := b.Store(ctx, "null", strings.NewReader("world"), backends.StoreOptions{Size: 5}); err != nil {
		t.Fatal(err)
	}
	listed := map[string]backends.CID{}
	if err := b.List(ctx, "", func(i backends.Info) error { listed[i.Name] = i.CID; return nil }); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"versioned", "null"} {
		info, err := b.Stat(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if listed[name] != info.CID {
			t.Errorf("%s: listed as %s, Stat says %s", name, listed[name], info.CID)
		}
		var buf bytes.Buffer
		if _, err := b.Retrieve(ctx, name, listed[name], &buf); err != nil {
			t.Errorf("%s: retrieve pinned to the listed CID: %v", name, err)
		}
		if err := b.Remove(ctx, name, backends.Matches(listed[name])); err != nil {
			t.Errorf("%s: remove of the listed CID: %v", name, err)
		}
	}
}

// awsNull makes MinIO answer as AWS does for a null version: HEAD and GET
// carry "x-amz-version-id: null", where MinIO leaves the header out.
type awsNull struct{ next http.RoundTripper }

func (a awsNull) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := a.next.RoundTrip(r)
	q := r.URL.Query()
	if err == nil && (r.Method == http.MethodHead || r.Method == http.MethodGet) && resp.StatusCode == http.StatusOK &&
		!q.Has("versions") && !q.Has("list-type") && !q.Has("versioning") && !q.Has("location") &&
		resp.Header.Get("x-amz-version-id") == "" && resp.Header.Get("Last-Modified") != "" {
		resp.Header.Set("x-amz-version-id", "null")
	}
	return resp, err
}

// On a suspended bucket, removing (or renaming away) content of the "null"
// version leaves the name absent: never the older version, stored while
// versioning was enabled, current again.
func TestSuspendedNullVersionRemove(t *testing.T) {
	for _, op := range []string{"remove", "rename"} {
		t.Run(op, func(t *testing.T) {
			srv := s3test.Shared(t)
			bucket := srv.NewBucket(t, true)
			ctx := t.Context()
			tr, err := minio.DefaultTransport(false)
			if err != nil {
				t.Fatal(err)
			}
			cfg := Config{Endpoint: srv.Endpoint, Bucket: bucket, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey,
				PartSize: MinPartSize, Transport: awsNull{tr}}
			b := openSuspended(t, srv, cfg, "f", "old")
			cid, err := b.Store(ctx, "f", strings.NewReader("new"), backends.StoreOptions{Size: 3})
			if err != nil {
				t.Fatal(err)
			}
			if o, err := b.head(ctx, "f", ""); err != nil || o.versionID != nullVersion {
				t.Fatalf("HEAD answers version %q (%v), want %q as AWS does", o.versionID, err, nullVersion)
			}
			if op == "remove" {
				err = b.Remove(ctx, "f", backends.Matches(cid))
			} else {
				err = b.Rename(ctx, "f", "g", backends.Matches(cid), backends.Unconditional)
			}
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if _, err := b.Retrieve(ctx, "f", "", &buf); !errors.Is(err, backends.ErrNotFound) {
				t.Errorf("f after the %s: %q (%v), want it absent", op, buf.String(), err)
			}
		})
	}
}

// A prefix with an empty, "." or ".." directory part is refused: MinIO
// stores "/tree/f" as "tree/f", and a listing under "/tree/" would then
// find nothing of what was stored.
func TestPrefixRefused(t *testing.T) {
	for _, prefix := range []string{"/tree/", "a//b/", "a/./", "../x", "a/../b", "\xff/"} {
		if err := checkPrefix(prefix); err == nil {
			t.Errorf("prefix %q accepted", prefix)
		}
	}
	for _, prefix := range []string{"", "tree/", "a/b/", "export-", "a/b.", "a/..b", "a/.", "x/\\"} {
		if err := checkPrefix(prefix); err != nil {
			t.Errorf("prefix %q refused: %v", prefix, err)
		}
	}
	srv := s3test.Shared(t)
	_, err := Open(t.Context(), Config{Endpoint: srv.Endpoint, Bucket: srv.NewBucket(t, false), Prefix: "/tree/",
		AccessKey: srv.AccessKey, SecretKey: srv.SecretKey})
	if !errors.Is(err, backends.ErrRefused) {
		t.Errorf("Open with prefix /tree/: %v, want refused", err)
	}
}

// openSuspended stores content at name while the bucket's versioning is
// enabled, suspends versioning and opens the bucket afresh.
func openSuspended(t *testing.T, srv *s3test.Server, cfg Config, name, content string) *Backend {
	t.Helper()
	ctx := t.Context()
	enabled, err := Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := enabled.Store(ctx, name, strings.NewReader(content), backends.StoreOptions{Size: int64(len(content))}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Client(t).SuspendVersioning(ctx, cfg.Bucket); err != nil {
		t.Fatal(err)
	}
	b, err := Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

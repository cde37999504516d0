package s3

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
	"github.com/exporttree/git-annex-remote-exporttree/backends/s3/s3test"
	"github.com/minio/minio-go/v7"
)

// openPrefixed opens a backend whose tree is under "p/" on a fresh bucket
// of srv.
func openPrefixed(t *testing.T, srv *s3test.Server) *Backend {
	t.Helper()
	b, err := Open(t.Context(), Config{Endpoint: srv.Endpoint, Bucket: srv.NewBucket(t, false), Prefix: "p/",
		AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, MaxRetries: 1})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (b *Backend) startUpload(t *testing.T, key string) upload {
	t.Helper()
	id, err := b.core.NewMultipartUpload(t.Context(), b.bucket, key, minio.PutObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return upload{key, id}
}

// uploads lists the keys of the bucket's incomplete multipart uploads.
func (b *Backend) uploads(t *testing.T) []string {
	t.Helper()
	res, err := b.core.ListMultipartUploads(t.Context(), b.bucket, "", "", "", "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, u := range res.Uploads {
		keys = append(keys, u.Key)
	}
	slices.Sort(keys)
	return keys
}

// Sweep aborts the uploads under the prefix idle for an hour, by the
// server's clock, and no other.
func TestSweepAge(t *testing.T) {
	b := openPrefixed(t, s3test.Shared(t))
	for _, key := range []string{"p/a", "p/d/b", "q/c", "pc"} {
		b.startUpload(t, key)
	}
	all := []string{"p/a", "p/d/b", "pc", "q/c"}
	if err := b.Sweep(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := b.uploads(t); !slices.Equal(got, all) {
		t.Fatalf("after a sweep of fresh uploads: %q, want all of %q", got, all)
	}
	server := b.now
	b.now = func() time.Time { return server().Add(staleAfter + time.Minute) }
	if err := b.Sweep(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got, want := b.uploads(t), []string{"pc", "q/c"}; !slices.Equal(got, want) {
		t.Fatalf("after a sweep an hour later: %q, want %q", got, want)
	}
}

// An upload initiated more than an hour ago that received a part since is
// alive.
func TestSweepKeepsUploadWithRecentPart(t *testing.T) {
	b := openPrefixed(t, s3test.Shared(t))
	ctx := t.Context()
	u := b.startUpload(t, "p/live")
	res, err := b.core.ListMultipartUploads(ctx, b.bucket, u.key, "", "", "", 10)
	if err != nil || len(res.Uploads) != 1 {
		t.Fatalf("listing %s: %+v, %v", u.key, res, err)
	}
	initiated := res.Uploads[0].Initiated
	// Server times have a resolution: store the part until it is
	// stamped later than the initiation.
	var last time.Time
	for !last.After(initiated) {
		if _, err := b.core.PutObjectPart(ctx, b.bucket, u.key, u.id, 1, strings.NewReader("x"), 1, minio.PutObjectPartOptions{}); err != nil {
			t.Fatal(err)
		}
		if last, err = b.lastPart(ctx, u.key, u.id); err != nil {
			t.Fatal(err)
		}
	}
	b.now = func() time.Time { return initiated.Add(staleAfter + last.Sub(initiated)/2) }
	if err := b.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if got := b.uploads(t); !slices.Equal(got, []string{u.key}) {
		t.Fatalf("a sweep an hour after the initiation but not after the part left %q", got)
	}
	b.now = func() time.Time { return last.Add(staleAfter) }
	if err := b.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if got := b.uploads(t); len(got) > 0 {
		t.Fatalf("a sweep an hour after the last part left %q", got)
	}
}

// Uploads whose abort failed are aborted by the next Store, by Close and
// by Sweep, whatever their age; those already gone are forgotten.
func TestAbandonedUploadsRetried(t *testing.T) {
	b := openPrefixed(t, s3test.Shared(t))
	ctx := t.Context()
	for _, cleanup := range []struct {
		what string
		run  func() error
	}{
		{"Store", func() error {
			_, err := b.Store(ctx, "other", strings.NewReader("x"), backends.StoreOptions{Size: 1})
			return err
		}},
		{"Close", b.Close},
		{"Sweep", func() error { return b.Sweep(ctx) }},
	} {
		gone := b.startUpload(t, "p/gone")
		if err := b.core.AbortMultipartUpload(ctx, b.bucket, gone.key, gone.id); err != nil {
			t.Fatal(err)
		}
		b.abandoned = []upload{gone, b.startUpload(t, "p/f")}
		if err := cleanup.run(); err != nil {
			t.Fatalf("%s: %v", cleanup.what, err)
		}
		if got := b.uploads(t); len(got) > 0 || len(b.abandoned) > 0 {
			t.Errorf("after %s: uploads %q, still to abort %q", cleanup.what, got, b.abandoned)
		}
	}
	if err := b.Close(); err != nil {
		t.Errorf("Close with nothing to abort: %v", err)
	}
}

// While the server is down, failed aborts are remembered, at most
// maxAbandoned of them, newest kept, and Close says what is left.
func TestAbandonedUploadsBounded(t *testing.T) {
	srv := s3test.Dedicated(t)
	b := openPrefixed(t, srv)
	srv.Close()
	for i := range maxAbandoned {
		b.abandoned = append(b.abandoned, upload{"p/f", fmt.Sprint(i)})
	}
	for i := range 5 {
		b.abort(t.Context(), "p/f", fmt.Sprint(maxAbandoned+i))
	}
	if len(b.abandoned) != maxAbandoned || b.abandoned[0].id != "5" {
		t.Fatalf("remembered %d uploads starting with %+v, want %d from id 5", len(b.abandoned), b.abandoned[0], maxAbandoned)
	}
	err := b.Close()
	if !errors.Is(err, backends.ErrUnreachable) || !strings.Contains(err.Error(), fmt.Sprintf("%d incomplete", maxAbandoned)) {
		t.Errorf("Close with the server down: %v", err)
	}
	if len(b.abandoned) != maxAbandoned {
		t.Errorf("Close with the server down forgot uploads: %d left", len(b.abandoned))
	}
}

// dated answers every request with the given Date header.
type dated time.Time

func (d dated) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Header: http.Header{"Date": {time.Time(d).UTC().Format(http.TimeFormat)}},
		Body: io.NopCloser(strings.NewReader("")), Request: r}, nil
}

func TestServerClock(t *testing.T) {
	ahead := time.Now().Add(3 * time.Hour)
	c := &serverClock{next: dated(ahead)}
	if d := c.now().Sub(time.Now()); d < -time.Minute || d > time.Minute {
		t.Fatalf("before any answer, the clock is off ours by %v", d)
	}
	req, _ := http.NewRequest("GET", "http://example.invalid/", nil)
	if _, err := c.RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	if d := c.now().Sub(ahead); d < -time.Minute || d > time.Minute {
		t.Fatalf("after an answer dated %v, the clock is off it by %v", ahead, d)
	}
}

package s3test_test

import (
	"context"
	"net/http"
	"os"
	"testing"

	"github.com/exporttree/git-annex-remote-exporttree/backends/s3/s3test"
)

func TestMain(m *testing.M) { os.Exit(s3test.Main(m)) }

func TestSharedServerVersionedBucket(t *testing.T) {
	srv := s3test.Shared(t)
	bucket := srv.NewBucket(t, true)
	cfg, err := srv.Client(t).GetBucketVersioning(context.Background(), bucket)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Enabled() {
		t.Fatalf("versioning on %s = %+v, want enabled", bucket, cfg)
	}
}

// A server started on its own answers until Close, and not after.
func TestStartClose(t *testing.T) {
	srv := s3test.Dedicated(t)
	live := srv.Endpoint + "/minio/health/live"
	resp, err := http.Get(live)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", live, resp.Status)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if resp, err := http.Get(live); err == nil {
		resp.Body.Close()
		t.Fatalf("GET %s after Close: %s, want an error", live, resp.Status)
	}
}

// A restarted server answers at the same endpoint, to the same
// credentials, with the same data.
func TestRestart(t *testing.T) {
	srv := s3test.Dedicated(t)
	if err := srv.Restart(); err == nil {
		t.Fatal("Restart of a running server succeeded")
	}
	bucket := srv.NewBucket(t, false)
	client := srv.Client(t)
	srv.Close()
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	if ok, err := client.BucketExists(context.Background(), bucket); err != nil || !ok {
		t.Fatalf("bucket %s after the restart: %v, %v", bucket, ok, err)
	}
}

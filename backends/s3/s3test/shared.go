package s3test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// The server shared by the tests of one test binary, started on first use.
var shared struct {
	once sync.Once
	srv  *Server
	dir  string
	err  error // why there is no server
	skip bool  // err means "not installed", not "broken"
}

// Main runs the tests and then stops the shared server, if one was
// started. Call it from TestMain.
func Main(m *testing.M) int {
	code := m.Run()
	if shared.srv != nil {
		shared.srv.Close()
	}
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	return code
}

// Shared returns the server shared by the tests of this binary, starting it
// on first use. When MinIO is not installed it skips t, or fails it when
// EXPORTTREE_REQUIRE_TOOLS=1. Tests using it must run in a package whose
// TestMain calls [Main].
func Shared(t testing.TB) *Server {
	t.Helper()
	shared.once.Do(func() {
		bin, err := Lookup()
		if err != nil {
			// A binary named explicitly but missing is a broken setup.
			shared.err, shared.skip = err, os.Getenv("EXPORTTREE_MINIO") == ""
			return
		}
		shared.dir, err = os.MkdirTemp("", "exporttree-minio-")
		if err != nil {
			shared.err = err
			return
		}
		shared.srv, shared.err = Start(bin, shared.dir)
	})
	if shared.err != nil {
		if shared.skip && os.Getenv("EXPORTTREE_REQUIRE_TOOLS") != "1" {
			t.Skipf("%v: %v", errNoBinary, shared.err)
		}
		t.Fatalf("%v: %v", errNoBinary, shared.err)
	}
	return shared.srv
}

// Dedicated starts a server of t's own, for tests that stop or restart it,
// and stops it when t ends. It skips or fails as [Shared] does when MinIO is
// not installed.
func Dedicated(t testing.TB) *Server {
	t.Helper()
	Shared(t)
	bin, err := Lookup()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := Start(bin, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// Client returns a minio-go client with the server's root credentials.
func (s *Server) Client(t testing.TB) *minio.Client {
	t.Helper()
	return s.client(t, false)
}

// ChecksumClient is like Client, with trailing headers enabled so that
// uploads can carry a checksum (minio.PutObjectOptions.Checksum), as
// other S3 tools send them.
func (s *Server) ChecksumClient(t testing.TB) *minio.Client {
	t.Helper()
	return s.client(t, true)
}

func (s *Server) client(t testing.TB, trailingHeaders bool) *minio.Client {
	t.Helper()
	u, err := url.Parse(s.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	c, err := minio.New(u.Host, &minio.Options{
		Creds:           credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""),
		BucketLookup:    minio.BucketLookupPath,
		TrailingHeaders: trailingHeaders,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var bucketSeq atomic.Uint64

// NewBucket creates a fresh bucket, with versioning enabled when versioned
// is true, and returns its name. Buckets live until the server stops.
func (s *Server) NewBucket(t testing.TB, versioned bool) string {
	t.Helper()
	ctx := context.Background()
	c := s.Client(t)
	name := fmt.Sprintf("test-%d-%d", os.Getpid(), bucketSeq.Add(1))
	if err := c.MakeBucket(ctx, name, minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("make bucket %s: %v", name, err)
	}
	if versioned {
		if err := c.EnableVersioning(ctx, name); err != nil {
			t.Fatalf("enable versioning on %s: %v", name, err)
		}
	}
	return name
}

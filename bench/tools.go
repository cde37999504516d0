package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/exporttree/git-annex-remote-exporttree/backends/s3/s3test"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// findAnnex returns the directory of the git-annex to benchmark with:
// sid's (the newest) as scripts/test installs it, else bookworm's, else
// the one on PATH.
func findAnnex() (string, error) {
	for _, env := range []string{"EXPORTTREE_GIT_ANNEX_SID_BIN", "EXPORTTREE_GIT_ANNEX_BOOKWORM"} {
		if dir := os.Getenv(env); dir != "" {
			if _, err := os.Stat(filepath.Join(dir, "git-annex")); err != nil {
				return "", fmt.Errorf("%s=%s: %w", env, dir, err)
			}
			return dir, nil
		}
	}
	p, err := exec.LookPath("git-annex")
	if err != nil {
		return "", fmt.Errorf("no git-annex: set EXPORTTREE_GIT_ANNEX_SID_BIN or put git-annex on PATH (scripts/bench does)")
	}
	return filepath.Dir(p), nil
}

// build compiles the program, and the wrapper that records its peak RSS
// under the program's name in the directory git-annex finds it in.
func (b *bench) build() error {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return fmt.Errorf("run the benchmark inside the module (scripts/bench does)")
	}
	b.root = filepath.Dir(gomod)
	b.prog = filepath.Join(b.work, "bin", programName)
	logf("building %s", programName)
	build := exec.CommandContext(b.ctx, "go", "build", "-o", b.prog, "./cmd/"+programName)
	build.Dir = b.root
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	wrapper := exec.CommandContext(b.ctx, "go", "build", "-o", filepath.Join(b.work, "path", programName), "./bench/wrap")
	wrapper.Dir = b.root
	if out, err := wrapper.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./bench/wrap: %v\n%s", err, out)
	}
	return nil
}

// minioServer is the S3 server every S3 row uses, with a root client.
type minioServer struct {
	srv    *s3test.Server
	bin    string
	host   string // host:port
	client *minio.Client
}

func startMinio(dir string) (*minioServer, error) {
	bin, err := s3test.Lookup()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	logf("starting MinIO")
	srv, err := s3test.Start(bin, dir)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(srv.Endpoint)
	if err != nil {
		srv.Close()
		return nil, err
	}
	c, err := minio.New(u.Host, &minio.Options{
		Creds:        credentials.NewStaticV4(srv.AccessKey, srv.SecretKey, ""),
		BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		srv.Close()
		return nil, err
	}
	return &minioServer{srv: srv, bin: bin, host: u.Host, client: c}, nil
}

// bucket makes a fresh, unversioned bucket (git-annex's S3 remote makes
// unversioned ones).
func (b *bench) bucket() (string, error) {
	name := b.next("bench-")
	return name, b.s3.client.MakeBucket(b.ctx, name, minio.MakeBucketOptions{})
}

// countObjects counts the objects in bucket under prefix.
func (m *minioServer) countObjects(ctx context.Context, bucket, prefix string) (int, error) {
	n := 0
	for o := range m.client.ListObjectsIter(ctx, bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if o.Err != nil {
			return n, o.Err
		}
		n++
	}
	return n, nil
}

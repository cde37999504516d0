package testscript_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
	"github.com/exporttree/git-annex-remote-exporttree/backends/directory"
	"github.com/exporttree/git-annex-remote-exporttree/backends/s3"
	"github.com/exporttree/git-annex-remote-exporttree/backends/s3/s3test"
	"github.com/minio/minio-go/v7"
)

// crashStorage is where a crash test exports to, and how it looks at what
// is there while no remote runs.
type crashStorage struct {
	config map[string]string // the remote's settings, but guardexport
	creds  map[string][2]string
	proxy  *killProxy // S3: the way to the server, which kills
	root   string     // directory: the exported directory

	// files returns every exported name with the digest of its content.
	files func(t *testing.T) map[string]digest
	// leftovers names what the program keeps for itself: temporaries,
	// aside files, incomplete multipart uploads.
	leftovers func(t *testing.T) []string
	// emptyDirs names the empty directories (directory only).
	emptyDirs func(t *testing.T) []string
	// triggers are the kinds of kill this storage draws from, a kind
	// twice as often where it appears twice.
	triggers []string
	// steps are the steps a "step" trigger may stop the program at.
	steps []string
	// asides: a conditional operation killed midway may leave a name
	// empty, its content aside, until the next run puts it back
	// (directory only); the check then comes after that run's PREPARE.
	asides bool
}

func dirCrashStorage(t *testing.T) *crashStorage {
	root := filepath.Join(t.TempDir(), "export")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	return &crashStorage{
		config: map[string]string{"directory": root},
		root:   root,
		asides: true,
		// Steps reach inside the guarded operations, where a delay
		// almost never lands.
		triggers: []string{"delay", "delay", "stall", "step", "step"},
		steps:    dirSteps,
		files: func(t *testing.T) map[string]digest {
			f, _, _ := walkExport(t, root)
			d := make(map[string]digest, len(f))
			for name, data := range f {
				d[name] = digestOf(data)
			}
			return d
		},
		leftovers: func(t *testing.T) []string { _, l, _ := walkExport(t, root); return l },
		emptyDirs: func(t *testing.T) []string { _, _, e := walkExport(t, root); return e },
	}
}

// walkExport reads the directory export under root: files by name, the
// program's reserved entries, and empty directories.
func walkExport(t *testing.T, root string) (files map[string][]byte, reserved, emptyDirs []string) {
	t.Helper()
	files = map[string][]byte{}
	err := filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		switch {
		case rel == ".":
		case rel == directory.LiveDir:
			// A running writer's session file: bookkeeping, not a
			// leftover (the directory package tests that it goes).
			return filepath.SkipDir
		case backends.Reserved(rel):
			reserved = append(reserved, rel)
			if info.IsDir() {
				return filepath.SkipDir
			}
		case info.IsDir():
			if entries, err := os.ReadDir(p); err == nil && len(entries) == 0 {
				emptyDirs = append(emptyDirs, rel)
			}
		case !info.Mode().IsRegular():
			t.Fatalf("not a regular file in the export: %q (%v)", rel, info.Mode())
		default:
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			files[rel] = data
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files, reserved, emptyDirs
}

// s3CrashStorage is a fresh bucket of the shared MinIO, reached by the
// remote through a killProxy (the test reads it directly).
func s3CrashStorage(t *testing.T, versioned bool) *crashStorage {
	srv := s3test.Shared(t)
	bucket := srv.NewBucket(t, versioned)
	proxy, err := newKillProxy(srv.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	c := srv.Client(t)
	seen := map[string]digest{}
	return &crashStorage{
		config: map[string]string{
			"backend": "s3", "bucket": bucket, "endpoint": proxy.URL,
			// The smallest parts S3 allows, two at a time: stores of
			// a few MiB are multipart uploads.
			"partsize": "5MiB", "parallelparts": "2",
		},
		creds:     map[string][2]string{"s3creds": {srv.AccessKey, srv.SecretKey}},
		proxy:     proxy,
		triggers:  []string{"delay", "bytes", "request", "answer", "answer", "step"},
		steps:     []string{s3.StepCopied},
		files:     func(t *testing.T) map[string]digest { return bucketDigests(t, c, bucket, seen) },
		leftovers: func(t *testing.T) []string { return bucketLeftovers(t, c, bucket) },
		emptyDirs: func(*testing.T) []string { return nil },
	}
}

// digest identifies a content.
type digest struct {
	size int
	sum  [32]byte
}

func digestOf(data []byte) digest { return digest{len(data), sha256.Sum256(data)} }

// bucketDigests returns the digest of every object in bucket. An ETag is
// the server's digest of what it holds, so seen (by ETag and size) spares
// downloading the same content again.
func bucketDigests(t testing.TB, c *minio.Client, bucket string, seen map[string]digest) map[string]digest {
	t.Helper()
	ctx := context.Background()
	files := map[string]digest{}
	for obj := range c.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true}) {
		if obj.Err != nil {
			t.Fatalf("list %s: %v", bucket, obj.Err)
		}
		id := fmt.Sprintf("%s/%d", obj.ETag, obj.Size)
		d, ok := seen[id]
		if !ok {
			o, err := c.GetObject(ctx, bucket, obj.Key, minio.GetObjectOptions{})
			if err != nil {
				t.Fatalf("get %s/%s: %v", bucket, obj.Key, err)
			}
			data, err := io.ReadAll(o)
			o.Close()
			if err != nil {
				t.Fatalf("get %s/%s: %v", bucket, obj.Key, err)
			}
			d = digestOf(data)
			seen[id] = d
		}
		files[obj.Key] = d
	}
	return files
}

// bucketLeftovers names the incomplete multipart uploads in bucket, and
// the objects with reserved names.
func bucketLeftovers(t testing.TB, c *minio.Client, bucket string) []string {
	t.Helper()
	ctx := context.Background()
	var left []string
	for u := range c.ListIncompleteUploads(ctx, bucket, "", true) {
		if u.Err != nil {
			t.Fatalf("list incomplete uploads of %s: %v", bucket, u.Err)
		}
		left = append(left, "incomplete upload of "+u.Key)
	}
	for obj := range c.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true}) {
		if obj.Err == nil && backends.Reserved(obj.Key) {
			left = append(left, obj.Key)
		}
	}
	sort.Strings(left)
	return left
}

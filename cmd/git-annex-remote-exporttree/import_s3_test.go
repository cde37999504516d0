package main

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"testing"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
	"github.com/exporttree/git-annex-remote-exporttree/backends/s3"
	"github.com/exporttree/git-annex-remote-exporttree/backends/s3/s3test"
	"github.com/exporttree/git-annex-remote-exporttree/protocol"
	"github.com/minio/minio-go/v7"
)

// openS3 opens the S3 backend on a fresh bucket and returns a client that
// writes behind its back, as other S3 tools do.
func openS3(t *testing.T, versioned bool) (*s3.Backend, *minio.Client, string) {
	t.Helper()
	srv := s3test.Shared(t)
	bucket := srv.NewBucket(t, versioned)
	b, err := s3.Open(t.Context(), s3.Config{Endpoint: srv.Endpoint, Bucket: bucket, PathStyle: s3.PathStylePath,
		AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, PartSize: s3.MinPartSize})
	if err != nil {
		t.Fatal(err)
	}
	return b, srv.ChecksumClient(t), bucket
}

// listed returns what the listing says of each name: size and CID.
func listed(t *testing.T, b backends.Backend) map[string]backends.Info {
	t.Helper()
	infos := map[string]backends.Info{}
	if err := b.List(t.Context(), "", func(info backends.Info) error { infos[info.Name] = info; return nil }); err != nil {
		t.Fatal(err)
	}
	return infos
}

// On S3, IMPORTKEY answers from what the object carries when it can: the
// key this program stored with it, its full-object SHA-256 checksum, its
// ETag when that is an MD5; a multipart object's content is read.
func TestImportKeyS3(t *testing.T) {
	for _, versioned := range []bool{false, true} {
		t.Run("versioned="+strconv.FormatBool(versioned), func(t *testing.T) { testImportKeyS3(t, versioned) })
	}
}

func testImportKeyS3(t *testing.T, versioned bool) {
	sb, client, bucket := openS3(t, versioned)
	b := &counted{Backend: sb}
	ctx := t.Context()
	small, big := []byte("written by another S3 tool\n"), bytes.Repeat([]byte("0123456789abcdef"), 11<<20/16)
	put := func(name string, data []byte, opts minio.PutObjectOptions) {
		if _, err := client.PutObject(ctx, bucket, name, bytes.NewReader(data), int64(len(data)), opts); err != nil {
			t.Fatal(err)
		}
	}
	put("plain", small, minio.PutObjectOptions{})
	put("checksummed", small, minio.PutObjectOptions{Checksum: minio.ChecksumSHA256})
	put("multipart", big, minio.PutObjectOptions{PartSize: 5 << 20, Checksum: minio.ChecksumSHA256})
	const label = "SHA256E-s27--recorded.txt"
	if _, err := sb.Store(ctx, "ours", bytes.NewReader(small), backends.StoreOptions{Size: int64(len(small)), Label: label}); err != nil {
		t.Fatal(err)
	}
	key := func(backend string, sum []byte, size int) string {
		return backend + "-s" + strconv.Itoa(size) + "--" + hex.EncodeToString(sum)
	}
	sha, md, bigSHA := sha256.Sum256(small), md5.Sum(small), sha256.Sum256(big)
	infos := listed(t, b)
	for _, tc := range []struct {
		name, want string
		reads      int
	}{
		{"ours", label, 0},
		{"checksummed", key("SHA256", sha[:], len(small)), 0},
		{"plain", key("MD5", md[:], len(small)), 0},
		{"multipart", key("SHA256", bigSHA[:], len(big)), 1},
	} {
		b.reads = 0
		info := infos[tc.name]
		got, err := importKey(ctx, &protocol.Annex{}, b, tc.name, info.Size, string(info.CID), md5Accepted)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got != tc.want || b.reads != tc.reads {
			t.Errorf("%s: key %q after %d reads, want %q after %d", tc.name, got, b.reads, tc.want, tc.reads)
		}
	}
	// Replaced since the listing, by content of the same size: what
	// the object carries now is no answer for what was listed.
	put("checksummed", bytes.ToUpper(small), minio.PutObjectOptions{Checksum: minio.ChecksumSHA256})
	info := infos["checksummed"]
	if got, err := importKey(ctx, &protocol.Annex{}, b, "checksummed", info.Size, string(info.CID), md5Accepted); !errors.Is(err, backends.ErrConflict) {
		t.Errorf("replaced since listed: key %q, error %v; want a conflict", got, err)
	}
}

package s3_test

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"testing"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
	"github.com/minio/minio-go/v7"
)

// Stat reports the digests the object proves, as other S3 clients write it
// and as Store writes it: a single-part object's ETag is its MD5, a
// SHA-256 checksum it was uploaded with is its SHA-256; a multipart
// object's are digests of parts (what MinIO answers: "<hex>-3" and a
// COMPOSITE "<base64>-3"), never reported.
func TestDigests(t *testing.T) {
	small := []byte("written by another S3 client\n")
	big := bytes.Repeat([]byte("0123456789abcdef"), 12<<20/16) // three parts of 5 MiB
	for _, tc := range []struct {
		name       string
		data       []byte
		opts       minio.PutObjectOptions
		sha256, md bool
	}{
		{"single part", small, minio.PutObjectOptions{}, false, true},
		{"single part with SHA-256", small, minio.PutObjectOptions{Checksum: minio.ChecksumSHA256}, true, true},
		{"multipart", big, minio.PutObjectOptions{PartSize: 5 << 20}, false, false},
		{"multipart with SHA-256", big, minio.PutObjectOptions{PartSize: 5 << 20, Checksum: minio.ChecksumSHA256}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			forBoth(t, func(t *testing.T, h *harness) {
				_, err := h.checksums.PutObject(t.Context(), h.bucket, h.prefix+"f", bytes.NewReader(tc.data), int64(len(tc.data)), tc.opts)
				if err != nil {
					t.Fatal(err)
				}
				wantDigests(t, h.b, "f", tc.data, tc.sha256, tc.md)
			})
		})
	}
}

func TestStoreDigests(t *testing.T) {
	forBoth(t, func(t *testing.T, h *harness) {
		small := []byte("stored by the backend\n")
		store(t, h.b, "small", small, backends.StoreOptions{Size: int64(len(small))})
		wantDigests(t, h.b, "small", small, false, true)
		big := bytes.Repeat([]byte("fedcba9876543210"), 11<<20/16) // > the 5 MiB part size
		store(t, h.b, "big", big, backends.StoreOptions{Size: int64(len(big))})
		wantDigests(t, h.b, "big", big, false, false)
		// A listing cannot tell an encrypted object's ETag from an MD5.
		err := h.b.List(t.Context(), "", func(info backends.Info) error {
			if info.SHA256 != nil || info.MD5 != nil {
				t.Errorf("List reports digests for %q: %x, %x", info.Name, info.SHA256, info.MD5)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// wantDigests checks Stat(name) reports exactly the digests of data that
// it should.
func wantDigests(t *testing.T, b backends.Backend, name string, data []byte, wantSHA256, wantMD5 bool) {
	t.Helper()
	info, err := b.Stat(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	sha, md := sha256.Sum256(data), md5.Sum(data)
	if want := sha[:]; !wantSHA256 && info.SHA256 != nil || wantSHA256 && !bytes.Equal(info.SHA256, want) {
		t.Errorf("Stat(%q).SHA256 = %x, want %x (or none: %v)", name, info.SHA256, want, !wantSHA256)
	}
	if want := md[:]; !wantMD5 && info.MD5 != nil || wantMD5 && !bytes.Equal(info.MD5, want) {
		t.Errorf("Stat(%q).MD5 = %x, want %x (or none: %v)", name, info.MD5, want, !wantMD5)
	}
}

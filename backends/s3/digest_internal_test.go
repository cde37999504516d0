package s3

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
)

// What digestsOf believes of answers MinIO cannot produce here: other
// servers' (no checksum type) and encrypted objects.
func TestDigestsOf(t *testing.T) {
	const etag = "6f5902ac237024bdd0c176cb93063dc4"
	sha := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("\x01", 32)))
	sse := func(k, v string) http.Header { return http.Header{k: {v}} }
	for _, tc := range []struct {
		name        string
		info        minio.ObjectInfo
		sha256, md5 bool
	}{
		{"full object", minio.ObjectInfo{ETag: etag, ChecksumSHA256: sha, ChecksumMode: "FULL_OBJECT"}, true, true},
		{"no type, single part", minio.ObjectInfo{ETag: etag, ChecksumSHA256: sha}, true, true},
		{"no type, multipart", minio.ObjectInfo{ETag: etag + "-2", ChecksumSHA256: sha}, false, false},
		{"composite", minio.ObjectInfo{ETag: etag + "-2", ChecksumSHA256: sha + "-2", ChecksumMode: "COMPOSITE"}, false, false},
		{"composite, one part", minio.ObjectInfo{ETag: etag, ChecksumSHA256: sha, ChecksumMode: "COMPOSITE"}, false, false},
		{"short checksum", minio.ObjectInfo{ETag: etag, ChecksumSHA256: "AAAA", ChecksumMode: "FULL_OBJECT"}, false, true},
		{"not base64", minio.ObjectInfo{ETag: etag, ChecksumSHA256: "#" + sha[1:], ChecksumMode: "FULL_OBJECT"}, false, true},
		{"uppercase ETag", minio.ObjectInfo{ETag: strings.ToUpper(etag)}, false, true},
		{"ETag not hex", minio.ObjectInfo{ETag: "x" + etag[1:]}, false, false},
		{"SSE-S3", minio.ObjectInfo{ETag: etag, Metadata: sse("X-Amz-Server-Side-Encryption", "AES256")}, false, false},
		{"SSE-KMS", minio.ObjectInfo{ETag: etag, ChecksumSHA256: sha, Metadata: sse("X-Amz-Server-Side-Encryption", "aws:kms")}, true, false},
		{"SSE-C", minio.ObjectInfo{ETag: etag, Metadata: sse("X-Amz-Server-Side-Encryption-Customer-Algorithm", "AES256")}, false, false},
	} {
		gotSHA, gotMD5 := digestsOf(tc.info)
		if (gotSHA != nil) != tc.sha256 || (gotMD5 != nil) != tc.md5 {
			t.Errorf("%s: digestsOf gives SHA-256 %x, MD5 %x; want SHA-256 %v, MD5 %v", tc.name, gotSHA, gotMD5, tc.sha256, tc.md5)
		}
		if gotMD5 != nil && len(gotMD5) != 16 || gotSHA != nil && len(gotSHA) != 32 {
			t.Errorf("%s: digest of the wrong length: %x, %x", tc.name, gotSHA, gotMD5)
		}
	}
}

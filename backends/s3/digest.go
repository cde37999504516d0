package s3

import (
	"encoding/base64"
	"encoding/hex"
	"strings"

	"github.com/minio/minio-go/v7"
)

// digestsOf returns the digests of the full content that a HEAD answer
// vouches for (see [backends.Info]), or nil for what it does not prove.
// Both come from the very answer that names the version or ETag, so they
// are bound to the CID made from it.
//
// SHA-256: the checksum the object was uploaded with, asked for with
// x-amz-checksum-mode. Only a full-object one: a multipart upload's is
// composite, a checksum of the parts' checksums ("<base64>-<parts>",
// type COMPOSITE, as MinIO and AWS answer). A server that does not say
// the type is believed only for a single-part object.
//
// MD5: the ETag, when it is a plain MD5: 32 hex digits, which multipart
// ETags ("<hex>-<parts>") are not, and no server-side encryption, under
// which (SSE-C, SSE-KMS; also SSE-S3 on some servers) the ETag is no
// digest of the content.
func digestsOf(info minio.ObjectInfo) (sha256, md5 []byte) {
	multipart := strings.Contains(info.ETag, "-")
	switch mode := info.ChecksumMode; {
	case info.ChecksumSHA256 == "":
	case mode == minio.ChecksumFullObjectMode.String(), mode == "" && !multipart:
		if sum, err := base64.StdEncoding.DecodeString(info.ChecksumSHA256); err == nil && len(sum) == 32 {
			sha256 = sum
		}
	}
	if len(info.ETag) == 32 && !encrypted(info) && info.ChecksumMode != minio.ChecksumCompositeMode.String() {
		if sum, err := hex.DecodeString(info.ETag); err == nil {
			md5 = sum
		}
	}
	return sha256, md5
}

// encrypted reports whether the answer names any server-side encryption
// (minio-go keeps those headers in Metadata).
func encrypted(info minio.ObjectInfo) bool {
	for k := range info.Metadata {
		if strings.HasPrefix(strings.ToLower(k), "x-amz-server-side-encryption") {
			return true
		}
	}
	return false
}

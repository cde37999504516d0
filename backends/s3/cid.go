package s3

import (
	"strconv"
	"strings"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
	"github.com/minio/minio-go/v7"
)

// S3 answers "null" as the version of objects written while versioning was
// off or suspended; it names no single content.
const nullVersion = "null"

// cidOf forms the CID of one stored content from what the request that
// stored or read it answered: the version ID when there is one, else the
// ETag and the size (an ETag alone is not enough for multipart uploads
// whose parts differ but whose part hashes collide in count).
func cidOf(versionID, etag string, size int64) backends.CID {
	if versionID != "" && versionID != nullVersion {
		return backends.CID("v:" + versionID)
	}
	return backends.CID("e:" + etag + ":" + strconv.FormatInt(size, 10))
}

// expected is a parsed CID.
type expected struct {
	version string // set for "v:" CIDs
	etag    string // set for "e:" CIDs
	size    int64
}

// parseCID parses a CID made by cidOf, reporting false for anything else
// (which then matches no content).
func parseCID(cid backends.CID) (expected, bool) {
	s := string(cid)
	if v, ok := strings.CutPrefix(s, "v:"); ok && v != "" {
		return expected{version: v}, true
	}
	if rest, ok := strings.CutPrefix(s, "e:"); ok {
		i := strings.LastIndexByte(rest, ':')
		if i <= 0 {
			return expected{}, false
		}
		size, err := strconv.ParseInt(rest[i+1:], 10, 64)
		if err != nil || size < 0 {
			return expected{}, false
		}
		return expected{etag: rest[:i], size: size}, true
	}
	return expected{}, false
}

// object is what a HEAD, GET or listing says about one version.
type object struct {
	versionID string
	etag      string
	size      int64
	label     string
}

func objectOf(info minio.ObjectInfo) object {
	return object{
		versionID: info.VersionID,
		etag:      info.ETag,
		size:      info.Size,
		label:     labelOf(info.Metadata, info.UserMetadata),
	}
}

func (o object) cid() backends.CID { return cidOf(o.versionID, o.etag, o.size) }

package s3

import (
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
)

// maxKeyLen is the longest key S3 accepts, in bytes.
const maxKeyLen = 1024

// key maps an export name to its object key, refusing names S3 cannot hold
// exactly: keys are UTF-8, at most 1024 bytes, and not white space alone
// (minio-go refuses those before sending anything).
func (b *Backend) key(op, name string) (string, error) {
	if err := backends.ValidName(name); err != nil {
		var e *backends.Error
		if errors.As(err, &e) {
			return "", &backends.Error{Op: op, Name: name, Class: e.Class, Err: e.Err}
		}
		return "", err
	}
	if !utf8.ValidString(name) {
		return "", backends.Errorf(op, name, backends.ErrRefused,
			"S3 object keys must be UTF-8 and this name is not")
	}
	key := b.prefix + name
	if strings.TrimSpace(key) == "" {
		return "", backends.Errorf(op, name, backends.ErrRefused,
			"S3 clients refuse an object key of white space alone")
	}
	if len(key) > maxKeyLen {
		return "", backends.Errorf(op, name, backends.ErrRefused,
			"object key would be %d bytes, S3 allows %d", len(key), maxKeyLen)
	}
	return key, nil
}

// dirKey maps a directory name ("" for the whole tree) to the key prefix
// of everything below it.
func (b *Backend) dirKey(op, dir string) (string, error) {
	if dir == "" {
		return b.prefix, nil
	}
	key, err := b.key(op, dir)
	if err != nil {
		return "", err
	}
	return key + "/", nil
}

// name maps a listed key back to an export name, reporting false for keys
// that are no export name: outside the prefix, directory markers ("dir/"),
// and other tools' names that [backends.ValidName] rejects.
func (b *Backend) name(key string) (string, bool) {
	name, ok := strings.CutPrefix(key, b.prefix)
	if !ok || backends.ValidName(name) != nil {
		return "", false
	}
	return name, true
}

// labelMeta is the user metadata (x-amz-meta-git-annex-key) holding
// [backends.StoreOptions.Label].
const labelMeta = "git-annex-key"

// encodeLabel makes a label safe as an HTTP header value that S3 stores
// and returns unchanged: printable ASCII stays as is (git-annex keys
// usually are), every other byte, '%' and '?' become %XX. '?' is escaped so
// that no value can look like an RFC 2047 encoded word, which minio-go
// would decode on the way back.
func encodeLabel(label string) string {
	const hex = "0123456789ABCDEF"
	var sb strings.Builder
	for i := 0; i < len(label); i++ {
		c := label[i]
		if c <= ' ' || c >= 0x7f || c == '%' || c == '?' {
			sb.WriteByte('%')
			sb.WriteByte(hex[c>>4])
			sb.WriteByte(hex[c&15])
			continue
		}
		sb.WriteByte(c)
	}
	return sb.String()
}

// decodeLabel reverses encodeLabel. Values written by others that are not
// valid escapes come back as they are.
func decodeLabel(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				out = append(out, hi<<4|lo)
				i += 2
				continue
			}
		}
		out = append(out, s[i])
	}
	return string(out)
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// labelOf returns the decoded label in an object's metadata, as a HEAD or
// GET returns it (meta) or as a MinIO listing does (listed).
func labelOf(meta map[string][]string, listed map[string]string) string {
	for k, v := range meta {
		if len(v) > 0 && strings.EqualFold(k, "X-Amz-Meta-"+labelMeta) {
			return decodeLabel(v[0])
		}
	}
	for k, v := range listed {
		if strings.EqualFold(k, "X-Amz-Meta-"+labelMeta) {
			return decodeLabel(v)
		}
	}
	return ""
}

package s3

import "strings"

// PublicURL returns the URL where the content under name can be downloaded
// without credentials, given base, the URL that serves the bucket's keys
// (git-annex's publicurl setting, like https://bucket.example.com/): base,
// a '/' unless base ends with one, then the object key with every byte but
// letters, digits and "-._~" escaped as %XX in each '/'-separated segment.
// Escaping that much keeps '+' from reading as a space, as some S3 servers
// read it. It returns "" when base is empty or name has no object key.
func (b *Backend) PublicURL(base, name string) string {
	key, err := b.key("public url", name)
	if base == "" || err != nil {
		return ""
	}
	var sb strings.Builder
	sb.WriteString(base)
	if !strings.HasSuffix(base, "/") {
		sb.WriteByte('/')
	}
	for i, seg := range strings.Split(key, "/") {
		if i > 0 {
			sb.WriteByte('/')
		}
		escapeSegment(&sb, seg)
	}
	return sb.String()
}

func escapeSegment(sb *strings.Builder, seg string) {
	const hex = "0123456789ABCDEF"
	// "." and ".." would be resolved away by URL clients; a prefix may
	// hold them.
	dots := seg == "." || seg == ".."
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		if !dots && ('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~') {
			sb.WriteByte(c)
			continue
		}
		sb.WriteByte('%')
		sb.WriteByte(hex[c>>4])
		sb.WriteByte(hex[c&15])
	}
}

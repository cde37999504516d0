package directory

import (
	"strconv"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
	"golang.org/x/sys/unix"
)

// stamp is the size and mtime part of a CID: "<size>.<mtime ns>" in hex.
func stamp(st *unix.Stat_t) string {
	mtime := st.Mtim.Sec*1e9 + st.Mtim.Nsec
	return strconv.FormatInt(st.Size, 16) + "." + strconv.FormatInt(mtime, 16)
}

// cid identifies the content st describes (format in the package doc).
func (b *Backend) cid(st *unix.Stat_t) backends.CID {
	if b.opts.IgnoreInodes {
		return backends.CID(stamp(st))
	}
	return backends.CID(strconv.FormatUint(st.Ino, 16) + "." + stamp(st))
}

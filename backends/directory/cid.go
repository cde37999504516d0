package directory

import (
	"strconv"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
	"golang.org/x/sys/unix"
)

// stamp is the size and mtime part of a CID: "<size>.<mtime ns>" in hex.
func stamp(st *unix.Stat_t) string {
	var buf [40]byte
	return string(appendStamp(buf[:0], st))
}

func appendStamp(buf []byte, st *unix.Stat_t) []byte {
	mtime := st.Mtim.Sec*1e9 + st.Mtim.Nsec
	buf = strconv.AppendInt(buf, st.Size, 16)
	buf = append(buf, '.')
	return strconv.AppendInt(buf, mtime, 16)
}

// cid identifies the content st describes (format in the package doc).
func (b *Backend) cid(st *unix.Stat_t) backends.CID {
	var buf [60]byte
	cid := buf[:0]
	if !b.opts.IgnoreInodes {
		cid = append(strconv.AppendUint(cid, st.Ino, 16), '.')
	}
	return backends.CID(appendStamp(cid, st))
}

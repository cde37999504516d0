package protocol

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// DefaultMaxLine bounds one line from git-annex. git-annex itself has no
// limit, and a line holds at most a key and a file name, so this only stops
// a runaway peer from exhausting memory. Longer lines are answered ERROR.
const DefaultMaxLine = 64 << 20

// errLineTooLong reports a line over the limit; it has been skipped whole,
// so the next read starts at the next line.
var errLineTooLong = &lineError{reason: "line too long"}

// errUnterminated reports input that ended in the middle of a line: git-annex
// ends every line with LF, so the line was cut short (git-annex died while
// writing it) and its last parameter may be a truncated file name.
var errUnterminated = &lineError{reason: "input ended in the middle of a line"}

// lineReader yields one bounded line at a time. bufio.Scanner is not used:
// its default 64 KiB token limit is below what git-annex may send.
type lineReader struct {
	br  *bufio.Reader
	max int
}

func newLineReader(r io.Reader, max int) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, 64<<10), max: max}
}

// readLine returns the next line without its LF. A CR before the LF is left
// in place: whether it is data is the parser's call. A final line without
// LF is never returned: it is errUnterminated, and io.EOF follows.
func (r *lineReader) readLine() (string, error) {
	var buf []byte
	tooLong := false
	for {
		frag, err := r.br.ReadSlice('\n')
		if !tooLong {
			n := len(buf) + len(frag)
			if err == nil {
				n-- // the LF
			}
			if n > r.max {
				tooLong, buf = true, nil
			} else {
				buf = append(buf, frag...)
			}
		}
		switch {
		case err == nil:
			if tooLong {
				return "", errLineTooLong
			}
			return string(buf[:len(buf)-1]), nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err == io.EOF && (len(buf) > 0 || tooLong):
			if tooLong {
				return "", errLineTooLong
			}
			return "", errUnterminated
		default:
			return "", err
		}
	}
}

// bufferedLine returns the next line without consuming it, if all of it,
// LF included, has already been read from the input; a later readLine
// returns the same line. It never reads, so it never blocks. A line over
// the limit is not offered.
func (r *lineReader) bufferedLine() (string, bool) {
	buf, _ := r.br.Peek(r.br.Buffered()) // within the buffer: no read
	i := bytes.IndexByte(buf, '\n')
	if i < 0 || i > r.max {
		return "", false
	}
	return string(buf[:i]), true
}

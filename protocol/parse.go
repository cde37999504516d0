package protocol

import (
	"errors"
	"strconv"
	"strings"
)

// paramKind says what one parameter of a message may hold.
type paramKind uint8

const (
	// text is the rest of the line, every byte kept: it may be empty,
	// contain spaces, tabs, '%', non-UTF-8 bytes and a trailing CR. Only
	// ever the last parameter.
	text paramKind = iota
	// path is text that must not be empty (a local file name).
	path
	// field is one space-free field that may be empty (a CREDS user).
	field
	// key is a git-annex key: never empty, never containing whitespace.
	key
	// direction is STORE or RETRIEVE.
	direction
	// size is a byte count: decimal digits only, fitting an int64.
	size
	// ident is a content identifier: text that must not be empty.
	ident
)

// keepsCR reports whether a CR at the end of the line belongs to the
// parameter: for text it is data (a file name may end in CR); anywhere else
// it can only be a CRLF line ending, which is tolerated by dropping it.
func (k paramKind) keepsCR() bool { return k == text || k == path || k == ident }

// specs is the arity table: every message git-annex sends that this package
// understands, with the kind of each parameter. The last parameter takes the
// whole rest of the line, because file names and messages contain spaces;
// the others are split on single spaces. Words not listed here are unknown
// requests and answered UNSUPPORTED-REQUEST; they are also what a line
// after a name (EXPORT's, IMPORT's, LOCATION's, or one ending a request)
// must be to count as the rest of it (see [session.continuesName]), so
// every word git-annex sends belongs here.
var specs = map[string][]paramKind{
	"EXTENSIONS":            {text},
	"INITREMOTE":            nil,
	"PREPARE":               nil,
	"LISTCONFIGS":           nil,
	"GETINFO":               nil,
	"GETCOST":               nil,
	"GETAVAILABILITY":       nil,
	"WHEREIS":               {key},
	"TRANSFER":              {direction, key, path},
	"CHECKPRESENT":          {key},
	"REMOVE":                {key},
	"EXPORTSUPPORTED":       nil,
	"IMPORTSUPPORTED":       nil,
	"EXPORT":                {text},
	"TRANSFEREXPORT":        {direction, key, path},
	"CHECKPRESENTEXPORT":    {key},
	"REMOVEEXPORT":          {key},
	"REMOVEEXPORTDIRECTORY": {text},
	"RENAMEEXPORT":          {key, text},
	// The import interface (git-annex 10.20260717 and later).
	"IMPORT":                 {text},
	"LISTIMPORTABLECONTENTS": nil,
	"RETRIEVEIMPORT":         {path},
	"CHECKPRESENTIMPORT":     {key},
	"IMPORTKEY":              {size, ident},
	// The conditional draft (never shipped in git-annex).
	"LOCATION":                       {text},
	"EXPECTED":                       {ident},
	"NOTHINGEXPECTED":                nil,
	"STOREEXPORTEXPECTED":            {key, path},
	"RETRIEVEEXPORTEXPECTED":         {path},
	"CHECKPRESENTEXPORTEXPECTED":     {key},
	"REMOVEEXPORTEXPECTED":           {key},
	"REMOVEEXPORTDIRECTORYWHENEMPTY": {text},
	// Answers to the remote's queries.
	"VALUE": {text},
	"CREDS": {field, text},
	"ERROR": {text},
}

// lineError is a known message whose parameters do not fit its spec, or a
// line that cannot be framed at all. It is answered with ERROR.
type lineError struct {
	word   string
	reason string
}

func (e *lineError) Error() string {
	if e.word == "" {
		return e.reason
	}
	return e.word + ": " + e.reason
}

// errNoJob is a line without a "J n" prefix under ASYNC.
var errNoJob = &lineError{reason: "message without a job number under ASYNC"}

// parseLine turns one line (without its LF) into a message. It is pure: all
// session state (ASYNC negotiated, the pending EXPORT) lives in the caller.
//
// Framing follows git-annex: the word ends at the first space; "WORD" and
// "WORD " both give an empty last parameter; a parameter before the last
// ends at the next single space, so runs of spaces land in the last
// parameter untouched. Under ASYNC every line but ERROR carries "J n ".
//
// An unknown word is not an error: it yields known=false and no parameters.
// A known word whose parameters do not fit returns a *lineError together
// with the message (whose job, if any, is set so the caller can route the
// ERROR).
func parseLine(line string, async bool) (message, error) {
	var m message
	if async {
		job, rest, ok := cutJob(line)
		switch {
		case ok:
			m.job, line = job, rest
		case wordOf(line) == "ERROR":
			// git-annex relays a bare ERROR to every job.
		default:
			return m, errNoJob
		}
	}
	m.word = wordOf(line)
	spec, known := specs[m.word]
	if !known {
		return m, nil
	}
	m.known = true
	if n := len(spec); n == 0 || !spec[n-1].keepsCR() {
		line = trimCR(line)
	}
	_, rest, _ := strings.Cut(line, " ")
	if len(spec) == 0 {
		if rest != "" {
			return m, &lineError{m.word, "too many parameters"}
		}
		return m, nil
	}
	params := make([]string, 0, len(spec))
	for range len(spec) - 1 {
		f, r, ok := strings.Cut(rest, " ")
		if !ok {
			return m, &lineError{m.word, "too few parameters"}
		}
		params = append(params, f)
		rest = r
	}
	params = append(params, rest)
	for i, k := range spec {
		if err := checkParam(k, params[i]); err != nil {
			return m, &lineError{m.word, err.Error()}
		}
	}
	m.params = params
	return m, nil
}

func checkParam(k paramKind, p string) error {
	switch k {
	case path:
		if p == "" {
			return errors.New("missing file name")
		}
	case key:
		if p == "" {
			return errors.New("missing key")
		}
		if strings.ContainsAny(p, " \t\r\n") {
			// A key never contains whitespace, so a space here is
			// an extra parameter.
			return errors.New("too many parameters")
		}
	case direction:
		if p != "STORE" && p != "RETRIEVE" {
			return errors.New("direction must be STORE or RETRIEVE")
		}
	case size:
		if _, ok := parseSize(p); !ok {
			return errors.New("size must be a decimal number of bytes")
		}
	case ident:
		if p == "" {
			return errors.New("missing content identifier")
		}
	}
	return nil
}

// parseSize accepts only plain decimal digits: strconv alone would also
// take a sign, which git-annex never sends.
func parseSize(p string) (int64, bool) {
	if p == "" || strings.Trim(p, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(p, 10, 64)
	return n, err == nil
}

// maxJobDigits bounds a job number; git-annex counts jobs from 1.
const maxJobDigits = 18

// cutJob splits "J <digits> rest" into the job number and rest.
func cutJob(line string) (job, rest string, ok bool) {
	after, found := strings.CutPrefix(line, "J ")
	if !found {
		return "", "", false
	}
	job, rest, found = strings.Cut(after, " ")
	if !found || job == "" || len(job) > maxJobDigits {
		return "", "", false
	}
	for i := 0; i < len(job); i++ {
		if job[i] < '0' || job[i] > '9' {
			return "", "", false
		}
	}
	return job, rest, true
}

func firstWord(line string) string {
	w, _, _ := strings.Cut(line, " ")
	return w
}

// wordOf is the message word of line. A CR can end the word only when the
// word is the whole line ("PREPARE\r\n").
func wordOf(line string) string {
	w, _, found := strings.Cut(line, " ")
	if !found {
		w = trimCR(w)
	}
	return w
}

func trimCR(s string) string { return strings.TrimSuffix(s, "\r") }

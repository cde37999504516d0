package protocol

import "strings"

// message is one protocol line in either direction: an optional ASYNC job
// number, a word and its parameters. It is the typed form [parseLine]
// produces and [message.appendLine] writes.
type message struct {
	job    string // decimal job number under ASYNC; "" otherwise
	word   string
	params []string
	known  bool // word is in the request table (parsed lines only)
}

func msg(word string, params ...string) message {
	return message{word: word, params: params}
}

// appendLine formats m as one wire line, newline included. Each parameter
// is preceded by exactly one space, so an empty last parameter keeps its
// separator ("VALUE "), as git-annex writes it. A newline inside a parameter
// would end the line early and desynchronise git-annex, so it is replaced by
// a space: only free-text messages can carry one, and callers that must not
// lose bytes (SETCONFIG, SETSTATE) refuse such values before sending.
func (m message) appendLine(b []byte) []byte {
	if m.job != "" {
		b = append(b, "J "...)
		b = append(b, m.job...)
		b = append(b, ' ')
	}
	b = append(b, m.word...)
	for _, p := range m.params {
		b = append(b, ' ')
		if strings.IndexByte(p, '\n') >= 0 {
			p = strings.ReplaceAll(p, "\n", " ")
		}
		b = append(b, p...)
	}
	return append(b, '\n')
}

// String is the line without its newline, for diagnostics.
func (m message) String() string {
	b := m.appendLine(nil)
	return string(b[:len(b)-1])
}

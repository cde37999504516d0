package protocol

import "errors"

// ErrQueryRefused matches the error an [Annex] query returns when git-annex
// answers it with ERROR instead of VALUE or CREDS. It is a failed query, not
// a broken session: 10.20230126 refuses GETGITREMOTENAME, GETSTATE and
// SETSTATE during INITREMOTE, and the session goes on.
var ErrQueryRefused = errors.New("git-annex refused the query")

// QueryError is the error of a query git-annex answered with ERROR. It
// matches [ErrQueryRefused].
type QueryError struct {
	Query   string // the message sent, e.g. "GETSTATE"
	Message string // git-annex's reason
}

func (e *QueryError) Error() string {
	return e.Query + ": git-annex answered ERROR: " + e.Message
}

func (e *QueryError) Unwrap() error { return ErrQueryRefused }

// ProtocolError is a violation of the protocol by the peer, or a call the
// protocol cannot carry (a value with a newline). Serve answers the peer's
// violations with ERROR; [Annex] methods return it.
type ProtocolError struct {
	Msg string
}

func (e *ProtocolError) Error() string { return "protocol error: " + e.Msg }

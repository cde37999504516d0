package backends

import (
	"errors"
	"fmt"
)

// The error classes. Backends classify every failure they understand, once,
// at their edge, by returning an [*Error] whose Class is one of these; callers
// test with errors.Is. Anything else is unclassified ("other").
var (
	// ErrNotFound: nothing is stored under the name.
	ErrNotFound = errors.New("not found")
	// ErrConflict: a condition failed; the content is not what the caller
	// expected, so the operation did nothing.
	ErrConflict = errors.New("content changed: condition failed")
	// ErrUnreachable: the storage cannot be contacted (unmounted directory,
	// network down). Never means "absent".
	ErrUnreachable = errors.New("storage unreachable")
	// ErrRefused: the backend will not do this: a name it cannot
	// represent or that escapes its root, or no permission.
	ErrRefused = errors.New("refused")
)

// Error is a backend failure: the operation, the name it was about, its class
// and its cause. errors.Is matches both Class and Err; errors.As reaches the
// cause's own types.
type Error struct {
	Op    string // "store", "retrieve", "stat", "remove", "rename", "list", ...
	Name  string
	Class error // one of the Err* classes, or nil for "other"
	Err   error // the cause; may be nil when Class says it all
}

func (e *Error) Error() string {
	msg := e.Op + " " + fmt.Sprintf("%q", e.Name)
	switch {
	case e.Err != nil && e.Class != nil && !errors.Is(e.Err, e.Class):
		return msg + ": " + e.Class.Error() + ": " + e.Err.Error()
	case e.Err != nil:
		return msg + ": " + e.Err.Error()
	case e.Class != nil:
		return msg + ": " + e.Class.Error()
	}
	return msg + ": failed"
}

// Unwrap returns the class and the cause, so errors.Is and errors.As see both.
func (e *Error) Unwrap() []error {
	var errs []error
	if e.Class != nil {
		errs = append(errs, e.Class)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// Errorf returns an [*Error] of class for op on name, whose cause is
// formatted like fmt.Errorf.
func Errorf(op, name string, class error, format string, args ...any) error {
	return &Error{Op: op, Name: name, Class: class, Err: fmt.Errorf(format, args...)}
}

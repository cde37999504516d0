package backends

import "fmt"

// Conflict returns the [ErrConflict] error for op on name when cond does not
// allow what was found: the content with CID found, or nothing when present
// is false. Its message names both what was found and what was expected.
func Conflict(op, name string, cond Condition, found CID, present bool) error {
	what := "nothing stored"
	if present {
		what = "found " + string(found)
	}
	return &Error{Op: op, Name: name, Class: ErrConflict, Err: fmt.Errorf("%s, %s", what, cond)}
}

package backends

import (
	"errors"
	"strings"
)

// ReservedPrefix starts every name component the program keeps for itself:
// backends' temporaries and the program's own key/value area
// (".git-annex-exporttree-keys/"). The program never exports such a name.
const ReservedPrefix = ".git-annex-exporttree"

// ValidName reports whether name is an export name a backend may act on:
// relative, '/'-separated, with no empty, "." or ".." component, no leading
// or trailing '/', and no NUL byte. Any other byte is allowed, including
// spaces, control characters and bytes that are not UTF-8. The error is an
// [*Error] of class [ErrRefused] naming the name.
func ValidName(name string) error {
	if why := invalidName(name); why != "" {
		return &Error{Op: "use name", Name: name, Class: ErrRefused, Err: errors.New(why)}
	}
	return nil
}

func invalidName(name string) string {
	switch {
	case name == "":
		return "empty name"
	case strings.IndexByte(name, 0) >= 0:
		return "name contains a NUL byte"
	case name[0] == '/':
		return "absolute name"
	case name[len(name)-1] == '/':
		return "name ends in '/'"
	}
	for comp := range strings.SplitSeq(name, "/") {
		switch comp {
		case "":
			return "empty path component"
		case ".", "..":
			return "path component " + comp + " is not allowed"
		}
	}
	return ""
}

// Reserved reports whether any component of name starts with
// [ReservedPrefix]. Backends never list reserved names, but store and
// retrieve them when asked, since the program keeps its own data there.
func Reserved(name string) bool {
	for comp := range strings.SplitSeq(name, "/") {
		if strings.HasPrefix(comp, ReservedPrefix) {
			return true
		}
	}
	return false
}

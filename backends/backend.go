// Package backends defines the storage contract of git-annex-remote-exporttree:
// the [Backend] interface every storage implements, the optional capability
// interfaces found by type assertion, the error classes callers check with
// errors.Is, and pure helpers such as [ValidName].
//
// Implementations live in subpackages (directory, s3) and prove themselves
// by running the conformance suite in package backendtest from their tests.
// Application code starts at [Backend]; implementers start at its method docs.
//
// This package knows nothing of the git-annex protocol.
package backends

import (
	"context"
	"io"
)

// CID is a content identifier: a short opaque string chosen by the backend
// that names exactly one stored content. It is stable while the content is
// untouched and differs after any modification the backend can observe.
// The empty CID means "none".
type CID string

// Info describes what is stored under a name.
type Info struct {
	Name string
	Size int64
	CID  CID
	// Label is the caller's label recorded with the content by Store (see
	// [StoreOptions.Label]), or "" when the backend cannot record one or the
	// content was written by someone else.
	Label string
	// SHA256 and MD5 are digests of the full content that the storage
	// itself vouches for, bound to CID (they describe exactly the content
	// CID names); nil when unknown. A backend reports one only when it
	// is cheap to learn and certain, never a digest of parts.
	SHA256 []byte
	MD5    []byte
}

// StoreOptions qualify a Store.
type StoreOptions struct {
	// Size is the number of bytes the reader will yield, or -1 when
	// unknown. When it is known, a backend must fail the store rather
	// than commit a different number of bytes.
	Size int64
	// Label is an opaque short string (git-annex records a key here) that
	// the backend should keep with the content, atomically with it, and
	// return in [Info.Label]. Backends that cannot record it ignore it.
	Label string
	// If is the condition the current content under the name must meet.
	If Condition
	// Progress, when not nil, is called from time to time with the number
	// of bytes stored so far. Backends call it between chunks rather than
	// wrapping the reader, so that a copy between files can stay in the
	// kernel (io.Copy from an *os.File uses copy_file_range).
	Progress func(stored int64)
}

// Backend is storage for an exported tree.
//
// Names are relative, '/'-separated byte strings exactly as git-annex sends
// them (see [ValidName]). A backend must refuse, with an error of class
// [ErrRefused], any name it cannot represent faithfully; it never renames
// silently.
//
// Visibility: a name is not present until its Store has completed. A reader
// sees the old content or the new one, never a prefix or a mix.
//
// All methods may be called concurrently, also by other processes sharing
// the same storage.
type Backend interface {
	// Store writes r under name, replacing what is there when opts.If
	// allows it, and returns the CID of exactly what it stored. It must
	// be atomic (temporary then rename, or a single PUT) and durable
	// before it returns (fsync, completed upload). Missing parent
	// directories are created. On error nothing is visible under name
	// that was not there before, and no temporary is left behind.
	// A failed condition is [ErrConflict].
	Store(ctx context.Context, name string, r io.Reader, opts StoreOptions) (CID, error)

	// Retrieve writes the content under name to w, in order from the
	// first byte. When pin is not empty, the content must have that CID;
	// otherwise, or when the content changes during the read so that the
	// bytes written may be mixed, Retrieve fails with [ErrConflict]. An
	// absent name is [ErrNotFound]. It returns the CID of what it wrote.
	Retrieve(ctx context.Context, name string, pin CID, w io.Writer) (CID, error)

	// Stat describes what is under name. Absent is [ErrNotFound];
	// storage that cannot be reached is [ErrUnreachable], never
	// [ErrNotFound].
	Stat(ctx context.Context, name string) (Info, error)

	// Remove removes name when cond allows it. Removing an absent name
	// succeeds when cond is [Unconditional] or [NothingThere]. Directories
	// left empty by the removal should be removed too.
	Remove(ctx context.Context, name string, cond Condition) error

	// List calls fn for every stored name under prefix (a directory name
	// without trailing '/', or "" for everything), in no particular order,
	// with memory that does not grow with the number of names. The
	// backend's own temporaries and reserved areas are never listed. An
	// error from fn stops the listing and is returned.
	List(ctx context.Context, prefix string, fn func(Info) error) error
}

// Renamer is an optional interface that may be implemented by a Backend.
// Rename moves the content under from to to, when cond allows what is under
// from and toCond allows what is under to, creating missing parent
// directories. toCond is checked as the rename acts, never only before it:
// [Unconditional] replaces anything, [NothingThere] fails with [ErrConflict]
// when something is under to, and [Matches] replaces only that content.
// A failed condition changes nothing. When from and to are the same name,
// both conditions are checked against the one content and nothing moves.
// Without it, callers fall back to Retrieve, Store and Remove, which is
// what [Rename] does.
type Renamer interface {
	Rename(ctx context.Context, from, to string, cond, toCond Condition) error
}

// DirRemover is an optional interface that may be implemented by a Backend.
// RemoveDir removes the directory dir and everything below it; an absent
// directory is success. Without it, callers remove every listed name under
// dir, which is what [RemoveDir] does.
type DirRemover interface {
	RemoveDir(ctx context.Context, dir string) error
}

// EmptyDirRemover is an optional interface that may be implemented by a
// Backend whose directories exist apart from the names in them (a
// filesystem). RemoveEmptyDir removes the directory dir only if it is empty,
// in one atomic step, so that a name created in it meanwhile makes it fail
// with [ErrConflict] instead of being lost; an absent directory is success.
type EmptyDirRemover interface {
	RemoveEmptyDir(ctx context.Context, dir string) error
}

// UnlabeledLister is an optional interface that may be implemented by a
// Backend that lists faster when labels are not wanted (an S3 listing
// without user metadata, a directory walk without reading extended
// attributes). ListUnlabeled is List with every [Info.Label] empty.
type UnlabeledLister interface {
	ListUnlabeled(ctx context.Context, prefix string, fn func(Info) error) error
}

// Closer is an optional interface that may be implemented by a Backend that
// holds resources (locks, connections, temporaries) to release at the end of
// a process.
type Closer interface {
	Close() error
}

// Sweeper is an optional interface that may be implemented by a Backend
// whose crashed writers can leave temporaries behind. Sweep removes those
// left by processes that are gone, and never those of a live store.
type Sweeper interface {
	Sweep(ctx context.Context) error
}

// LabelRecorder is an optional interface that may be implemented by a
// Backend whose ability to keep [StoreOptions.Label] depends on the storage
// (a filesystem without extended attributes, say). RecordsLabels reports
// whether labels stored now will come back from Stat and List. Without it,
// a Backend is taken to record labels.
type LabelRecorder interface {
	RecordsLabels() bool
}

// RecordsLabels reports whether b keeps labels (see [LabelRecorder]).
func RecordsLabels(b Backend) bool {
	if lr, ok := b.(LabelRecorder); ok {
		return lr.RecordsLabels()
	}
	return true
}

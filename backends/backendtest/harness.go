package backendtest

import (
	"context"
	"testing"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
)

// HarnessMaker returns a new harness for one subtest. The suite calls it
// once per subtest and closes the harness when the subtest ends; t is that
// subtest, for t.TempDir and t.Cleanup.
type HarnessMaker func(ctx context.Context, t *testing.T) (Harness, error)

// Harness is one backend under test, fresh and empty, with out-of-band
// access to the storage beneath it.
type Harness interface {
	// Backend returns the backend under test; the same one on every call.
	Backend() backends.Backend

	// Properties describes what the backend can do.
	Properties() Properties

	// Write stores data under name behind the backend's back, as another
	// program would: in place over existing content when the storage
	// allows it, creating parent directories. Two Writes of the same size
	// must be observable as a modification by the storage (a harness on a
	// filesystem with coarse timestamps makes sure the mtime moves).
	Write(ctx context.Context, name string, data []byte) error

	// Delete removes name behind the backend's back.
	Delete(ctx context.Context, name string) error

	// Read returns what is really stored under name, or an error matching
	// fs.ErrNotExist.
	Read(ctx context.Context, name string) ([]byte, error)

	// Entries returns everything really stored, in any order: every stored
	// object including the backend's temporaries and reserved names, and,
	// for storage with directories, every directory below the root, with
	// a trailing '/'.
	Entries(ctx context.Context) ([]string, error)

	// Close releases the harness.
	Close()
}

// Properties describes a backend's abilities, so the suite can hold it to
// exactly what it promises.
type Properties struct {
	// Labels is true when the backend records [backends.StoreOptions.Label].
	// Otherwise the suite checks that Info.Label is always "".
	Labels bool

	// Directories is true when the storage has directories, which must
	// exist for the names below them and must not be left behind empty by
	// Remove, Rename, RemoveDir or a failed Store.
	Directories bool

	// Refuses reports whether the backend cannot represent the valid name
	// and so must refuse it with [backends.ErrRefused] (S3, say, and names
	// that are not UTF-8). Nil means every valid name is representable.
	Refuses func(name string) bool

	// RemoveWindow is true when a Remove with a [backends.Matches]
	// condition checks the content and deletes it in two steps, so that
	// a store landing between them is deleted too (S3 without bucket
	// versioning: a HEAD, then a DELETE). The suite then skips the test
	// that races such a Remove with a Store.
	RemoveWindow bool
}

package protocol

import "context"

// Location is the state git-annex sends before each request of the
// conditional draft: `LOCATION <name>`, then any number of
// `EXPECTED <cid>` lines or one `NOTHINGEXPECTED`. None of them is answered.
type Location struct {
	// Name is the exported file name exactly as git-annex sent it.
	Name string
	// Expected are the content identifiers git-annex knows may be at
	// Name, in the order sent: the request may act on the content there
	// only when it has one of them.
	Expected []string
	// NothingExpected means git-annex expects no file at Name: the
	// request may act only when there is none.
	NothingExpected bool
}

// ConditionalExporter is an optional interface that may be implemented by a
// Remote: the conditional draft, a design never shipped in git-annex that
// lets one remote be imported from and exported to without losing a change
// made by someone else. Each request acts only when the content at the
// location is what git-annex expects: one of loc.Expected, or nothing there
// for loc.NothingExpected; with neither, nothing matches. Without it the
// draft's requests get UNSUPPORTED-REQUEST.
//
// Every request but RemoveExportDirectoryWhenEmpty needs a LOCATION right
// before it on its job; without one, Serve answers ERROR and does not call
// the method. Both EXPECTED and NOTHINGEXPECTED before one request is
// likewise answered ERROR.
type ConditionalExporter interface {
	// StoreExportExpected stores the local file as loc.Name and returns
	// the content identifier of what it stored (STORE-SUCCESS key cid).
	// The cid must not be empty or contain a newline; such a cid is
	// answered STORE-FAILURE.
	StoreExportExpected(ctx context.Context, a *Annex, loc Location, key, file string) (cid string, err error)
	// RetrieveExportExpected writes the content at loc.Name to file, from
	// offset 0 and in order. RETRIEVEEXPORTEXPECTED names no key, so key
	// is always "".
	RetrieveExportExpected(ctx context.Context, a *Annex, loc Location, key, file string) error
	// CheckPresentExportExpected reports whether loc.Name holds key's
	// complete content with an expected identifier. An error means the
	// answer is unknown (CHECKPRESENT-UNKNOWN), never "absent".
	CheckPresentExportExpected(ctx context.Context, a *Annex, loc Location, key string) (bool, error)
	// RemoveExportExpected removes loc.Name; an absent file is success.
	RemoveExportExpected(ctx context.Context, a *Annex, loc Location, key string) error
	// RemoveExportDirectoryWhenEmpty removes dir only if nothing is left
	// in it; an absent directory is success.
	RemoveExportDirectoryWhenEmpty(ctx context.Context, a *Annex, dir string) error
}

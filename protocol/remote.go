package protocol

import (
	"context"
	"errors"
)

// Remote is the core every external special remote implements. Every other
// capability is an optional interface discovered by type assertion, so a
// remote offers exactly what it implements: a Remote that is not an
// [Exporter] answers EXPORTSUPPORTED with EXPORTSUPPORTED-FAILURE.
//
// Methods may be called concurrently from several ASYNC jobs; each call gets
// the [Annex] of its own job, through which it talks back to git-annex.
type Remote interface {
	// InitRemote is called by initremote and again by enableremote, so it
	// must be idempotent. PREPARE is never sent before it.
	InitRemote(ctx context.Context, a *Annex) error
	// Prepare is called before requests that touch storage. Handlers must
	// not rely on it having come first: git-annex asks some questions
	// (EXPORTSUPPORTED, IMPORTSUPPORTED, LISTCONFIGS) without it.
	Prepare(ctx context.Context, a *Annex) error
}

// KeyValue is an optional interface that may be implemented by a Remote:
// plain key/value storage (TRANSFER, CHECKPRESENT, REMOVE). Without it those
// requests get UNSUPPORTED-REQUEST.
type KeyValue interface {
	// Store copies the local file (a path relative to the repository top or
	// absolute) to the remote under key.
	Store(ctx context.Context, a *Annex, key, file string) error
	// Retrieve writes the content of key to file, from offset 0 and in
	// order: git-annex hashes the file while it is written.
	Retrieve(ctx context.Context, a *Annex, key, file string) error
	// CheckPresent reports whether key is present. An error means the
	// answer is unknown (CHECKPRESENT-UNKNOWN), never "absent".
	CheckPresent(ctx context.Context, a *Annex, key string) (bool, error)
	// Remove removes key; removing an absent key succeeds.
	Remove(ctx context.Context, a *Annex, key string) error
}

// Exporter is an optional interface that may be implemented by a Remote: the
// export interface (exporttree=yes). Without it EXPORTSUPPORTED answers
// EXPORTSUPPORTED-FAILURE and export requests get UNSUPPORTED-REQUEST.
//
// name is the exported file name exactly as git-annex sent it: relative,
// '/'-separated, arbitrary bytes.
type Exporter interface {
	StoreExport(ctx context.Context, a *Annex, name, key, file string) error
	RetrieveExport(ctx context.Context, a *Annex, name, key, file string) error
	// CheckPresentExport must answer true only when name holds key's
	// complete content: git-annex skips the upload on true.
	CheckPresentExport(ctx context.Context, a *Annex, name, key string) (bool, error)
	RemoveExport(ctx context.Context, a *Annex, name, key string) error
	// RemoveExportDirectory removes dir and everything in it; an absent
	// directory is success.
	RemoveExportDirectory(ctx context.Context, a *Annex, dir string) error
	// RenameExport renames name to newName. Returning an error that
	// matches [errors.ErrUnsupported] answers UNSUPPORTED-REQUEST, and
	// git-annex then removes and uploads again.
	RenameExport(ctx context.Context, a *Annex, name, key, newName string) error
}

// ConfigSetting is one line of the LISTCONFIGS answer.
type ConfigSetting struct {
	Name        string // a single word: no spaces
	Description string
}

// Configurer is an optional interface that may be implemented by a Remote.
// Without it LISTCONFIGS gets UNSUPPORTED-REQUEST, and git-annex then accepts
// any parameter at initremote. With it, git-annex rejects every parameter
// not listed, so list all of them.
type Configurer interface {
	ListConfigs() []ConfigSetting
}

// InfoField is one field of the GETINFO answer, shown by `git annex info`.
type InfoField struct {
	Name  string
	Value string
}

// Informer is an optional interface that may be implemented by a Remote.
// Without it GETINFO answers an empty INFOEND.
type Informer interface {
	Info(ctx context.Context, a *Annex) ([]InfoField, error)
}

// Availability is the answer to GETAVAILABILITY.
type Availability string

const (
	Global Availability = "GLOBAL"
	Local  Availability = "LOCAL"
)

// Coster is an optional interface that may be implemented by a Remote.
// Without it GETCOST gets UNSUPPORTED-REQUEST and git-annex picks a default.
type Coster interface {
	Cost(ctx context.Context, a *Annex) (int, error)
}

// Availabler is an optional interface that may be implemented by a Remote.
// Without it GETAVAILABILITY gets UNSUPPORTED-REQUEST.
type Availabler interface {
	Availability(ctx context.Context, a *Annex) (Availability, error)
}

// Whereiser is an optional interface that may be implemented by a Remote:
// WHEREIS answers with a location a person can use without git-annex. An
// empty string answers WHEREIS-FAILURE.
type Whereiser interface {
	WhereIs(ctx context.Context, a *Annex, key string) (string, error)
}

// ErrUnsupported, returned by any handler, answers the request with
// UNSUPPORTED-REQUEST: the remote declines at run time.
var ErrUnsupported = errors.ErrUnsupported

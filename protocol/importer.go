package protocol

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Importer is an optional interface that may be implemented by a Remote: the
// import interface (importtree=yes, git-annex 10.20260717 and later). Without
// it IMPORTSUPPORTED answers IMPORTSUPPORTED-FAILURE and the import requests
// get UNSUPPORTED-REQUEST.
//
// name is a file name exactly as ListImportableContents emitted it (git-annex
// echoes it in IMPORT unchanged). git-annex sends IMPORTSUPPORTED in nearly
// every command, often before PREPARE, and Serve answers it without calling
// the Remote.
type Importer interface {
	// ListImportableContents calls emit once for each file that can be
	// imported, with its size, its name and its content identifier (cid):
	// an opaque, non-empty string without a newline that changes whenever
	// the content does and means the same from every machine that can
	// reach the storage, since git-annex shares it with clones.
	//
	// emit writes entries in batches of a few hundred, so git-annex reads
	// many per wakeup; an entry waits a tenth of a second at most, and
	// memory does not grow with the listing. It returns a
	// *[ProtocolError] for an entry it refuses to send (a name
	// [CleanImportName] rejects, an empty cid or one with a newline, a
	// negative size): leave such files out and go on. Any other error
	// (git-annex has gone, ctx is cancelled) means the listing cannot
	// complete: return it.
	//
	// git-annex believes a successful listing completely and deletes from
	// the imported tree every file it does not name, so a listing is
	// all-or-nothing: an error makes the whole listing
	// LISTIMPORTABLECONTENTS-FAILURE (git-annex then keeps its previous
	// tree), never a shorter LISTIMPORTABLECONTENTS-SUCCESS. Serve answers
	// FAILURE also when an emit failed for any reason but a refused entry,
	// whatever the method returns.
	ListImportableContents(ctx context.Context, a *Annex, emit func(size int64, name, cid string) error) error
	// RetrieveImport writes the content of the file listed as name to
	// file, from offset 0 and in order. During `git annex import`,
	// git-annex checks neither size nor identifier of what arrives, so it
	// must fail rather than deliver content other than what was listed (a
	// file changed since the listing). Report progress with [Annex.Progress].
	RetrieveImport(ctx context.Context, a *Annex, name, file string) error
	// CheckPresentImport reports whether name still holds key's content
	// (`git annex fsck --fast --from`). An error means the answer is
	// unknown (CHECKPRESENT-UNKNOWN), never "absent".
	CheckPresentImport(ctx context.Context, a *Annex, name, key string) (bool, error)
}

// ImportKeyer is an optional interface that may be implemented by an
// [Importer]: the IMPORTKEY extension, accepted in EXTENSIONS only when the
// Remote implements it. Without it, IMPORTKEY is not accepted, git-annex
// retrieves every file to hash it, and `git annex import --no-content`
// fails.
//
// Once the extension is accepted, git-annex asks ImportKey for every file it
// imports, with or without --no-content, and does not check the key: a
// wrong hash surfaces later as a failed verification, and a key that is not
// a checksum (WORM, URL) can never be fetched. Implement it only where a
// checksum key can be guaranteed.
type ImportKeyer interface {
	// ImportKey returns the key of the file listed as name with size and
	// content identifier cid, computed without downloading it. An error
	// answers IMPORTKEY-FAILURE and fails that one file; there is no way
	// to skip a file (IMPORTKEY-SKIP fails it too, on every run): leave
	// unwanted files out of the listing instead. A returned key that
	// cannot be a git-annex key (empty, with whitespace, without "--") is
	// answered IMPORTKEY-FAILURE rather than sent.
	ImportKey(ctx context.Context, a *Annex, name string, size int64, cid string) (key string, err error)
}

// CleanImportName reports why name cannot be listed for import, or nil for
// a clean relative name. git-annex 10.20261026 mishandles the others
// (IMPORT.md, transcript 14): "../x" and "/x" abort the whole listing,
// ".git/x" is ignored, "dir/" is skipped, "a//b" and "./x" are normalised
// in the tree while IMPORT echoes the original string, and "dir/../x" is
// accepted and later breaks `git merge`. So it refuses the empty name, an
// absolute name, a trailing "/", an empty, "." or ".." component, a ".git"
// component in any case (git refuses those in a tree), and a newline, CR or
// NUL anywhere.
func CleanImportName(name string) error {
	if why := uncleanImportName(name); why != "" {
		return fmt.Errorf("import name %q %s", name, why)
	}
	return nil
}

func uncleanImportName(name string) string {
	switch {
	case name == "":
		return "is empty"
	case strings.ContainsAny(name, "\n\r\x00"):
		return "contains a newline, CR or NUL"
	case strings.HasPrefix(name, "/"):
		return "is absolute"
	case strings.HasSuffix(name, "/"):
		return `ends in "/"`
	}
	for c := range strings.SplitSeq(name, "/") {
		switch {
		case c == "":
			return `contains "//"`
		case c == "." || c == "..":
			return `has a "` + c + `" component`
		case strings.EqualFold(c, ".git"):
			return `has a ".git" component`
		}
	}
	return ""
}

// checkImportKey reports why key, returned by ImportKey, cannot be sent:
// git-annex answers a reply it cannot parse as a key with a protocol error
// and kills the remote (transcript 09g).
func checkImportKey(key string) error {
	switch {
	case key == "":
		return errors.New("ImportKey returned an empty key")
	case strings.ContainsAny(key, " \t\r\n"), !strings.Contains(key, "--"):
		return fmt.Errorf("ImportKey returned %q, which is not a git-annex key", key)
	}
	return nil
}

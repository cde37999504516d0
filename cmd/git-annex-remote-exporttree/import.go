package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
	"github.com/exporttree/git-annex-remote-exporttree/protocol"
)

// The import interface (importtree=yes, git-annex 10.20260717 and later):
// git-annex lists what other tools wrote to the storage, then retrieves it.

var (
	_ protocol.Importer    = (*remote)(nil)
	_ protocol.ImportKeyer = (*remote)(nil)
)

// ListImportableContents lists every file with its size and content
// identifier. A listing error fails the whole listing: git-annex would
// delete from its branch whatever a shorter listing leaves out.
func (r *remote) ListImportableContents(ctx context.Context, a *protocol.Annex, emit func(size int64, name, cid string) error) error {
	b, err := r.storage(ctx, a)
	if err != nil {
		return err
	}
	skipped := 0
	err = b.List(ctx, "", func(info backends.Info) error {
		err := emit(info.Size, info.Name, string(info.CID))
		var refused *protocol.ProtocolError
		if errors.As(err, &refused) {
			// A name git-annex would abort the import on, or break merges
			// with (.., .git, a newline): leave it out, say so.
			skipped++
			a.Debug(fmt.Sprintf("not importable, left out: %q: %v", info.Name, err))
			return nil
		}
		return err
	})
	if skipped > 0 {
		a.Info(fmt.Sprintf("%d file(s) with names git-annex cannot import were left out (see --debug)", skipped))
	}
	return err
}

// RetrieveImport writes the content listed under name to file, and never
// other content: git-annex does not check what arrives during a plain
// import. During an import git-annex names the destination after the listed
// size and content identifier (CID-s<size>--<cid>); the retrieval is pinned
// to that identifier, so content changed since the listing fails cleanly.
func (r *remote) RetrieveImport(ctx context.Context, a *protocol.Annex, name, file string) error {
	b, err := r.storage(ctx, a)
	if err != nil {
		return err
	}
	pin, err := importPin(ctx, b, name, filepath.Base(file))
	if err != nil {
		return err
	}
	return retrieveFilePinned(ctx, a, b, name, pin, file)
}

// importPin finds the content identifier a retrieval into dest must match.
// Outside an import (get, fsck) git-annex verifies the content against the
// key itself, and any current content may be sent.
func importPin(ctx context.Context, b backends.Backend, name, dest string) (backends.CID, error) {
	listedSize, listedCID, ok := parseCIDFileName(dest)
	if !ok {
		return "", nil
	}
	info, err := b.Stat(ctx, name)
	if err != nil {
		return "", err
	}
	changed := &backends.Error{Op: "import", Name: name, Class: backends.ErrConflict,
		Err: errors.New("changed since it was listed; run the import again")}
	if info.Size != listedSize {
		return "", changed
	}
	if listedCID == string(info.CID) {
		return info.CID, nil
	}
	if plainCID(string(info.CID)) {
		// git-annex keeps such identifiers as they are in the file name:
		// a different one is different content.
		return "", changed
	}
	// An identifier git-annex escaped in the file name cannot be compared;
	// the size matched, and the retrieval is pinned to what is there now,
	// so at least it cannot mix two contents.
	return info.CID, nil
}

// parseCIDFileName reads git-annex's temporary name for content being
// imported: CID-s<size>--<identifier, escaped when needed>.
func parseCIDFileName(base string) (size int64, cid string, ok bool) {
	rest, ok := strings.CutPrefix(base, "CID-s")
	if !ok {
		return 0, "", false
	}
	sizeStr, cid, ok := strings.Cut(rest, "--")
	if !ok {
		return 0, "", false
	}
	size, err := strconv.ParseInt(sizeStr, 10, 64)
	return size, cid, err == nil
}

// plainCID reports whether git-annex leaves cid unchanged in file names.
func plainCID(cid string) bool {
	for _, c := range cid {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return cid != "" && len(cid) < 64
}

// CheckPresentImport answers whether name still holds key's content, as far
// as can be told cheaply (fsck --fast --from).
func (r *remote) CheckPresentImport(ctx context.Context, a *protocol.Annex, name, key string) (bool, error) {
	b, err := r.storage(ctx, a)
	if err != nil {
		return false, err
	}
	return present(ctx, b, name, key)
}

// ImportKey answers the key of the listed content without copying it into
// the annex (import --no-content): the key this program recorded when it
// stored that very content, or else a SHA256 checksum of the content,
// read once in place and pinned to the listed identifier.
func (r *remote) ImportKey(ctx context.Context, a *protocol.Annex, name string, size int64, cid string) (string, error) {
	b, err := r.storage(ctx, a)
	if err != nil {
		return "", err
	}
	info, err := b.Stat(ctx, name)
	if err != nil {
		return "", err
	}
	if string(info.CID) == cid && checksumKey(info.Label) && holdsKey(info, info.Label) {
		return info.Label, nil // the key we recorded when we stored this very content
	}
	h := sha256.New()
	got, err := b.Retrieve(ctx, name, backends.CID(cid), a.ProgressWriter(h))
	if err != nil {
		return "", err
	}
	if string(got) != cid {
		return "", fmt.Errorf("%q changed while it was read", name)
	}
	return fmt.Sprintf("SHA256-s%d--%s", size, hex.EncodeToString(h.Sum(nil))), nil
}

// checksumKey reports whether key's backend is a checksum, which git-annex
// can verify: only such keys may answer IMPORTKEY.
func checksumKey(key string) bool {
	backend, _, ok := strings.Cut(key, "-")
	if !ok {
		return false
	}
	for _, prefix := range []string{"SHA", "SKEIN", "BLAKE2", "MD5", "XXBLAKE"} {
		if strings.HasPrefix(backend, prefix) {
			return true
		}
	}
	return false
}

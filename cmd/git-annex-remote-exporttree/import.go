package main

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
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
	var skipped []string
	// Labels are for IMPORTKEY, which Stats its one file.
	err = backends.ListUnlabeled(ctx, b, "", func(info backends.Info) error {
		err := emit(info.Size, info.Name, string(info.CID))
		var refused *protocol.ProtocolError
		if errors.As(err, &refused) {
			// A name git-annex would abort the import on, or break merges
			// with (.., .git, a newline): leave it out, say so.
			skipped = append(skipped, fmt.Sprintf("%q", info.Name))
			return nil
		}
		return err
	})
	if n := len(skipped); n > 0 {
		// Once entries are listed, the protocol layer writes notes to
		// stderr: git-annex would drop the entries before one.
		const shown = 3
		names := strings.Join(skipped[:min(n, shown)], ", ")
		if n > shown {
			names += ", …"
		}
		a.Info(fmt.Sprintf("%d file(s) with names git-annex cannot import were left out: %s", n, names))
	}
	return err
}

// RetrieveImport writes the content listed under name to file, and never
// other content: git-annex does not check what arrives during a plain
// import. During an import git-annex names the destination after the listed
// size and content identifier (see isCIDFileName); the retrieval is pinned
// to that identifier, so content changed since the listing fails cleanly.
func (r *remote) RetrieveImport(ctx context.Context, a *protocol.Annex, name, file string) error {
	b, err := r.storage(ctx, a)
	if err != nil {
		return err
	}
	base := filepath.Base(file)
	if pin, ok := r.uncheckable.LoadAndDelete(name + "\x00" + unescapeKey(base)); ok {
		// A key answered to IMPORTKEY whose digest this program cannot
		// compute: pinned to the identifier it was answered for.
		return retrieveFilePinned(ctx, a, b, name, pin.(backends.CID), file)
	}
	return retrieveImport(ctx, a, b, name, file)
}

// retrieveImport is RetrieveImport on b. A destination named after a
// checksum key (after IMPORTKEY, git-annex 10.20261026 retrieves into a file
// named after the key it was answered, and does not verify what arrives) is
// checked against that key's digest while it is written, when the hash is
// one this program can compute: content that changed between IMPORTKEY and
// RETRIEVEIMPORT fails instead of landing in the annex under a key it does
// not have.
func retrieveImport(ctx context.Context, a *protocol.Annex, b backends.Backend, name, file string) error {
	base := filepath.Base(file)
	pin, err := importPin(ctx, b, name, base)
	if err != nil {
		return err
	}
	var check *keyCheck
	if pin == "" {
		check = newKeyCheck(unescapeKey(base))
	}
	return retrieveFileChecked(ctx, a, b, name, pin, file, check)
}

// importPin finds the content identifier a retrieval into dest must match:
// the current one, when dest is git-annex's name for it and its size.
// Outside an import (get, fsck) git-annex verifies the content against the
// key itself, and any current content may be sent.
func importPin(ctx context.Context, b backends.Backend, name, dest string) (backends.CID, error) {
	listedSize, _, ok := parseCIDFileName(dest)
	if !ok {
		return "", nil
	}
	info, err := b.Stat(ctx, name)
	if err != nil {
		return "", err
	}
	if info.Size != listedSize || !isCIDFileName(dest, info.Size, string(info.CID)) {
		return "", &backends.Error{Op: "import", Name: name, Class: backends.ErrConflict,
			Err: errors.New("changed since it was listed; run the import again")}
	}
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

// CheckPresentImport answers whether name still holds key's content, as far
// as can be told cheaply (fsck --fast --from).
func (r *remote) CheckPresentImport(ctx context.Context, a *protocol.Annex, name, key string) (bool, error) {
	b, err := r.storage(ctx, a)
	if err != nil {
		return false, err
	}
	info, found, err := stat(ctx, b, name)
	return found && holdsImported(info, key), err
}

// ImportKey answers the key of the listed content without copying it into
// the annex (see importKey).
func (r *remote) ImportKey(ctx context.Context, a *protocol.Annex, name string, size int64, cid string) (string, error) {
	b, err := r.storage(ctx, a)
	if err != nil {
		return "", err
	}
	key, err := importKey(ctx, a, b, name, size, cid, insecureKeysAllowed)
	if err == nil && newKeyCheck(key) == nil {
		// RETRIEVEIMPORT into a file named after key cannot check the
		// key's digest: remember what it must be pinned to.
		r.uncheckable.Store(name+"\x00"+key, backends.CID(cid))
	}
	return key, err
}

// importKey answers, for the content listed under name with size and cid,
// a checksum key that certainly matches it, the first of: the key this
// program recorded when it stored that very content (unless it is an MD5 or
// SHA1 key and allowInsecure says git-annex refuses those); a SHA256 or
// (when allowInsecure) MD5 key from a digest the storage vouches for; a
// SHA256 of the content, read once in place and pinned to cid. Only what
// Stat says of the listed content (same CID) is used.
func importKey(ctx context.Context, a *protocol.Annex, b backends.Backend, name string, size int64, cid string, allowInsecure func(context.Context) bool) (string, error) {
	info, err := b.Stat(ctx, name)
	if err != nil {
		return "", err
	}
	if string(info.CID) == cid && info.Size == size {
		switch {
		case checksumKey(info.Label) && holdsKey(info, info.Label) && (secureKey(info.Label) || allowInsecure(ctx)):
			return info.Label, nil // the key we recorded when we stored this very content
		case len(info.SHA256) == sha256.Size:
			return digestKey("SHA256", size, info.SHA256), nil
		case len(info.MD5) == md5.Size && allowInsecure(ctx):
			return digestKey("MD5", size, info.MD5), nil
		}
	}
	h := sha256.New()
	var n byteCount
	got, err := b.Retrieve(ctx, name, backends.CID(cid), a.ProgressWriter(io.MultiWriter(h, &n)))
	if err != nil {
		return "", err
	}
	if string(got) != cid {
		return "", fmt.Errorf("%q changed while it was read", name)
	}
	if int64(n) != size {
		return "", fmt.Errorf("%q holds %d bytes, not the %d listed", name, n, size)
	}
	return digestKey("SHA256", size, h.Sum(nil)), nil
}

type byteCount int64

func (c *byteCount) Write(p []byte) (int, error) {
	*c += byteCount(len(p))
	return len(p), nil
}

// digestKey is the git-annex key of backend (SHA256, MD5) for content of
// size bytes with that digest.
func digestKey(backend string, size int64, sum []byte) string {
	return fmt.Sprintf("%s-s%d--%s", backend, size, hex.EncodeToString(sum))
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

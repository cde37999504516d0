package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
	"github.com/exporttree/git-annex-remote-exporttree/protocol"
)

// remote maps protocol requests onto backend operations. It holds the one
// backend of this process, opened at PREPARE or by the first request that
// needs it (git-annex does not always send PREPARE first).
type remote struct {
	stderr io.Writer

	mu      sync.Mutex
	cfg     config
	backend backends.Backend

	// uncheckable maps name NUL key, for each key answered to IMPORTKEY
	// whose digest this program cannot compute, to the content
	// identifier it was answered for (see RetrieveImport).
	uncheckable sync.Map
}

var (
	_ protocol.Remote     = (*remote)(nil)
	_ protocol.KeyValue   = (*remote)(nil)
	_ protocol.Exporter   = (*remote)(nil)
	_ protocol.Configurer = (*remote)(nil)
	_ protocol.Informer   = (*remote)(nil)
)

func newRemote(stderr io.Writer) *remote { return &remote{stderr: stderr} }

func (r *remote) ListConfigs() []protocol.ConfigSetting { return listConfigs() }

// InitRemote checks the configuration and that the storage is usable, so
// that initremote fails with a clear message instead of the first export.
// It changes nothing, so enableremote may run it again.
func (r *remote) InitRemote(ctx context.Context, a *protocol.Annex) error {
	cfg, err := readConfig(ctx, a)
	if err != nil {
		return err
	}
	if cfg.Backend == "s3" {
		if err := storeS3Credentials(ctx, a); err != nil {
			return fmt.Errorf("storing credentials: %w", err)
		}
	}
	use := useSetUp
	// git-annex itself checks importtree=yes; an importtree remote only
	// reads.
	if v, err := a.GetConfig(ctx, "importtree"); err == nil {
		if reading, _ := parseYesNo("importtree", v); reading {
			use = useSetUpReading
		}
	}
	b, err := openBackend(ctx, a, cfg, use)
	if err != nil {
		return err
	}
	closeBackend(b)
	return nil
}

func (r *remote) Prepare(ctx context.Context, a *protocol.Annex) error {
	_, err := r.storage(ctx, a)
	return err
}

// storage returns the backend, opening it on first use.
func (r *remote) storage(ctx context.Context, a *protocol.Annex) (backends.Backend, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.backend != nil {
		return r.backend, nil
	}
	cfg, err := readConfig(ctx, a)
	if err != nil {
		return nil, err
	}
	b, err := openBackend(ctx, a, cfg, useAny)
	if err != nil {
		return nil, err
	}
	a.Debug(fmt.Sprintf("using %s", describe(cfg)))
	// Temporaries of killed processes are removed here, once per process;
	// the sweep never touches a live transfer.
	if s, ok := b.(backends.Sweeper); ok {
		if err := s.Sweep(ctx); err != nil {
			a.Debug("sweeping leftover temporaries: " + err.Error())
		}
	}
	r.cfg, r.backend = cfg, b
	return b, nil
}

// config returns the configuration the backend was opened with; call it
// after storage.
func (r *remote) config() config {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cfg
}

func (r *remote) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.backend != nil {
		closeBackend(r.backend)
		r.backend = nil
	}
}

func closeBackend(b backends.Backend) {
	if c, ok := b.(backends.Closer); ok {
		c.Close()
	}
}

// Info shows the settings, and what can only be learnt from the storage
// (whether an S3 bucket is versioned); it still answers when the storage
// cannot be reached.
func (r *remote) Info(ctx context.Context, a *protocol.Annex) ([]protocol.InfoField, error) {
	b, err := r.storage(ctx, a)
	if err != nil {
		cfg, cerr := readConfig(ctx, a)
		if cerr != nil {
			return nil, cerr
		}
		return infoFields(cfg, nil, err), nil
	}
	r.mu.Lock()
	cfg := r.cfg
	r.mu.Unlock()
	return infoFields(cfg, b, nil), nil
}

// storeFile stores the local file under name, reporting progress.
func storeFile(ctx context.Context, a *protocol.Annex, b backends.Backend, name, key, file string) error {
	src, err := openSource(file)
	if err != nil {
		return err
	}
	defer src.Close()
	_, err = storeSource(ctx, a, b, name, key, src, backends.Unconditional)
	return err
}

// storeSource stores src under name when what is there meets cond.
func storeSource(ctx context.Context, a *protocol.Annex, b backends.Backend, name, key string, src *source, cond backends.Condition) (backends.CID, error) {
	// The file goes to the backend unwrapped, so a copy between files can
	// stay in the kernel; the backend reports progress between chunks.
	cid, err := b.Store(ctx, name, withFaults(ctx, src.f), backends.StoreOptions{
		Size: src.size, Label: key, If: cond, Progress: a.Progress,
	})
	if err != nil {
		return "", err
	}
	a.Debug(fmt.Sprintf("stored %q (%d bytes), content identifier %s", name, src.size, cid))
	return cid, nil
}

// retrieveFile writes the content under name to the local file. It writes a
// temporary beside the file and renames it into place when complete: newer
// git-annex (10.20261026) tails the destination file to hash it while it is
// written, and loses track of a writer faster than itself, failing the
// verification of correct content. A file that appears whole by rename is
// hashed in full after the transfer instead.
func retrieveFile(ctx context.Context, a *protocol.Annex, b backends.Backend, name, file string) error {
	return retrieveFilePinned(ctx, a, b, name, "", file)
}

// retrieveFilePinned is retrieveFile of exactly the content with CID pin
// (any content when pin is empty).
func retrieveFilePinned(ctx context.Context, a *protocol.Annex, b backends.Backend, name string, pin backends.CID, file string) error {
	return retrieveFileChecked(ctx, a, b, name, pin, file, nil)
}

// retrieveFileChecked is retrieveFilePinned that, with a check, also fails
// unless what was written has the check's size and digest.
func retrieveFileChecked(ctx context.Context, a *protocol.Annex, b backends.Backend, name string, pin backends.CID, file string, check *keyCheck) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(file), ".git-annex-remote-exporttree-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	var w io.Writer = tmp
	if check != nil {
		w = io.MultiWriter(tmp, check)
	}
	if _, err = b.Retrieve(ctx, name, pin, a.ProgressWriter(w)); err != nil {
		return err
	}
	if check != nil {
		if err = check.verify(name); err != nil {
			return err
		}
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), file)
}

// holdsKey reports whether what Stat found is, as far as can be told
// cheaply, the complete content of key: git-annex skips an upload when told
// so. A recorded label must be the key; a key's size must match.
func holdsKey(info backends.Info, key string) bool {
	if info.Label != "" && info.Label != key {
		return false
	}
	if size, ok := keySize(key); ok && size != info.Size {
		return false
	}
	return true
}

// holdsImported is holdsKey for a key git-annex has for imported content:
// one IMPORTKEY answered or git-annex hashed, which need not be the key
// this remote recorded if it stored that content (a WORM or GIT key, an MD5
// key refused under annex.securehashesonly, another hash). A recorded label
// disproves such a key only when both are digests of one hash and differ;
// otherwise only the size can.
func holdsImported(info backends.Info, key string) bool {
	labelHash, labelDigest, ok1 := keyDigest(info.Label)
	hash, digest, ok2 := keyDigest(key)
	if ok1 && ok2 && labelHash == hash && labelDigest != digest {
		return false
	}
	info.Label = ""
	return holdsKey(info, key)
}

// present answers a CHECKPRESENT* request about content this remote stored:
// absent is (false, nil); storage that cannot be asked is an error, so
// git-annex hears UNKNOWN, not absent. Where the backend records labels, it
// recorded one with everything this remote stored: content without one was
// written by another program, and only its size could match.
func present(ctx context.Context, b backends.Backend, name, key string) (bool, error) {
	info, found, err := stat(ctx, b, name)
	if !found || info.Label == "" && backends.RecordsLabels(b) {
		return false, err
	}
	return holdsKey(info, key), nil
}

// stat is b.Stat, with absence as found false rather than an error.
func stat(ctx context.Context, b backends.Backend, name string) (info backends.Info, found bool, err error) {
	info, err = b.Stat(ctx, name)
	if errors.Is(err, backends.ErrNotFound) {
		return info, false, nil
	}
	return info, err == nil, err
}

// remove removes name when cond allows it; absent is success.
func remove(ctx context.Context, b backends.Backend, name string, cond backends.Condition) error {
	err := b.Remove(ctx, name, cond)
	if errors.Is(err, backends.ErrNotFound) {
		return nil
	}
	return err
}

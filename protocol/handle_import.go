package protocol

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// errNewlineImport is the reason given when an import request names a file
// whose name continued on a second line (see [session.continuesName]).
const errNewlineImport = "file names containing a newline cannot be imported"

// import1 serves one request of the import interface. All but
// LISTIMPORTABLECONTENTS need the name from the IMPORT right before them;
// IMPORT itself is never answered (a reply desynchronises git-annex,
// transcript 16).
func (j *job) import1(ctx context.Context, a *Annex, m message, pre prefix) message {
	im, ok := j.s.remote.(Importer)
	ik, isKeyer := j.s.remote.(ImportKeyer)
	if m.word == "IMPORTKEY" {
		ok = isKeyer
	}
	if !ok {
		return unsupported()
	}
	if m.word == "LISTIMPORTABLECONTENTS" {
		return j.listImportable(ctx, a, im, m)
	}
	if pre.word != "IMPORT" {
		return j.missing(m, "IMPORT")
	}
	name := pre.name
	if pre.newline {
		// The handler never sees such a name: it would be a different
		// file from the one git-annex means.
		j.s.logf("%s: %q", errNewlineImport, name)
	}
	p := m.params
	switch m.word {
	case "RETRIEVEIMPORT":
		file := p[0]
		if pre.newline {
			return retrieveImportFailure(errNewlineImport)
		}
		err := j.call(m, func() error { return im.RetrieveImport(ctx, a, name, file) })
		return outcome(err, retrieveImportSuccess(), retrieveImportFailure)
	case "CHECKPRESENTIMPORT":
		key := p[0]
		if pre.newline {
			// Not "absent": such a file may well exist.
			return checkPresentUnknown(key, errNewlineImport)
		}
		var present bool
		err := j.call(m, func() (err error) { present, err = im.CheckPresentImport(ctx, a, name, key); return err })
		return checkPresent(key, present, err)
	default: // IMPORTKEY
		size, _ := parseSize(p[0]) // checked by the parser
		cid := p[1]
		if pre.newline {
			return importKeyFailure(errNewlineImport)
		}
		var key string
		err := j.call(m, func() (err error) { key, err = ik.ImportKey(ctx, a, name, size, cid); return err })
		if err == nil {
			if err = checkImportKey(key); err != nil {
				j.s.logf("%s %q: %v", m.word, name, err)
			}
		}
		return outcome(err, importKeySuccess(key), importKeyFailure)
	}
}

// listImportable streams the listing in batches: entries are written
// listBatch at a time, or once the first of them has waited listWait, so a
// listing of any size costs no more memory here than a batch, git-annex
// reads many entries per wakeup rather than one, and a slow lister's
// entries still flow.
func (j *job) listImportable(ctx context.Context, a *Annex, im Importer, m message) message {
	var (
		mu       sync.Mutex
		closed   bool      // the method has returned
		accepted int       // entries taken, written or pending
		broken   error     // an entry that could not be written: the listing is incomplete
		pending  []message // lines not yet written
		timer    *time.Timer
	)
	flush := func() { // with mu held
		if timer != nil {
			timer.Stop()
			timer = nil
		}
		if len(pending) == 0 {
			return
		}
		if err := j.send(pending...); err != nil && broken == nil {
			broken = err
		}
		clear(pending)
		pending = pending[:0]
	}
	emit := func(size int64, name, cid string) error {
		// One entry at a time, so the entries of a remote that lists
		// from several goroutines never interleave.
		mu.Lock()
		defer mu.Unlock()
		if closed {
			return fmt.Errorf("%s: emit called after ListImportableContents returned", m.word)
		}
		if err := checkEntry(size, name, cid); err != nil {
			flush()
			return err
		}
		if broken != nil {
			return broken
		}
		if ctx.Err() != nil {
			broken = context.Cause(ctx)
			return broken
		}
		accepted++
		j.listing.Store(true)
		pending = append(pending, importableContent(size, name), importableContentIdentifier(cid))
		switch {
		case len(pending) >= 2*listBatch:
			flush()
		case timer == nil:
			timer = time.AfterFunc(listWait, func() {
				mu.Lock()
				defer mu.Unlock()
				if !closed {
					flush()
				}
			})
		}
		return broken
	}
	defer j.listing.Store(false)
	err := j.call(m, func() error { return im.ListImportableContents(ctx, a, emit) })
	mu.Lock()
	flush()
	closed = true
	if err == nil && broken != nil {
		// The method swallowed the error: a shorter SUCCESS listing
		// would delete the missing files from the imported tree.
		err = fmt.Errorf("listing incomplete: %w", broken)
	}
	n := accepted
	mu.Unlock()
	switch {
	case err == nil:
		return listImportableContentsSuccess()
	case errors.Is(err, ErrUnsupported) && n == 0:
		// Before any entry, git-annex keeps its tree (transcript 06).
		return unsupported()
	}
	return listImportableContentsFailure(reason(err))
}

// One write(2) per entry was half of the program's time in a large listing
// (BENCHMARKS.md, E1), and cost git-annex a wakeup per entry.
const (
	listBatch = 256                    // entries per write
	listWait  = 100 * time.Millisecond // the longest an entry waits for others
)

// checkEntry refuses an entry git-annex would mishandle; see
// [Importer.ListImportableContents].
func checkEntry(size int64, name, cid string) error {
	var why string
	switch err := CleanImportName(name); {
	case err != nil:
		why = err.Error()
	case size < 0:
		why = fmt.Sprintf("negative size %d for %q", size, name)
	case cid == "":
		why = fmt.Sprintf("empty content identifier for %q", name)
	case strings.Contains(cid, "\n"):
		// A newline would end the line early; git-annex would then
		// drop the entry, or read the rest as a message.
		why = fmt.Sprintf("content identifier for %q contains a newline", name)
	default:
		return nil
	}
	return &ProtocolError{"IMPORTABLECONTENT: " + why}
}

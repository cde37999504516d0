package protocol

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
)

// errNewlineName is the reason given when an export request names a file
// whose name continued on a second line (see [session.continuesName]).
const errNewlineName = "file names containing a newline cannot be exported"

// handle processes one event from the job's inbox.
func (j *job) handle(ev event) {
	if j.dropOwed(ev) {
		return
	}
	if ev.kind == evMore {
		if j.pre.word != "" {
			j.pre.name += "\n" + ev.text
			j.pre.newline = true
		}
		return
	}
	if ev.kind == evMsg && (ev.msg.word == "EXPECTED" || ev.msg.word == "NOTHINGEXPECTED") {
		j.expect(ev.msg)
		return
	}
	// EXPORT, IMPORT and LOCATION are state for exactly the one request
	// that follows.
	pre := j.pre
	j.pre = prefix{}

	if ev.kind == evBad {
		// Answered with ERROR; git-annex then stops using the remote,
		// but reading on is harmless and keeps a confused peer from
		// blocking on a full pipe.
		j.s.sendBare(errorLine(ev.err.Error()))
		return
	}
	m := ev.msg
	switch {
	case !m.known:
		j.send(unsupported())
	case setsName(m.word):
		j.pre = prefix{word: m.word, name: m.params[0]}
	case m.word == "VALUE" || m.word == "CREDS":
		j.s.logf("protocol: ignoring %s: no query is waiting for it", m.word)
	case m.word == "ERROR":
		j.s.logf("git-annex: ERROR %s", m.params[0])
	case m.word == "EXTENSIONS":
		j.s.logf("protocol: EXTENSIONS after the first request")
		j.s.sendBare(errorLine("EXTENSIONS is only valid as the first message"))
	default:
		j.serve(ev, pre)
	}
}

// transfers are the requests that move content, during which PROGRESS is
// meaningful.
var transfers = map[string]bool{
	"TRANSFER":               true,
	"TRANSFEREXPORT":         true,
	"RETRIEVEIMPORT":         true,
	"STOREEXPORTEXPECTED":    true,
	"RETRIEVEEXPORTEXPECTED": true,
}

// serve runs one request's handler and writes its reply. The Annex passed
// to the handler is valid only until the reply is sent; a pending PROGRESS
// goes out before a failure.
func (j *job) serve(ev event, pre prefix) {
	m := ev.msg
	ctx, cancel := context.WithCancel(j.s.ctx)
	defer cancel()
	defer ev.releasePrepared()
	if err := ev.waitPrepared(ctx); err != nil {
		return // the session is ending
	}
	a := &Annex{j: j, transfer: transfers[m.word]}
	if a.transfer {
		a.progress.begin(j.s.cfg.now())
	}
	replies := j.dispatch(ctx, a, m, pre)
	a.finish(anyFailure(replies))
	for _, r := range replies {
		if r.word == "ERROR" {
			j.s.sendBare(r)
			continue
		}
		if j.send(r) != nil {
			return
		}
	}
}

// anyFailure says whether a reply reports a failure (TRANSFER-FAILURE,
// RETRIEVEIMPORT-FAILURE, ...).
func anyFailure(replies []message) bool {
	for _, r := range replies {
		if strings.HasSuffix(r.word, "-FAILURE") {
			return true
		}
	}
	return false
}

// dispatch maps a request onto the Remote and its result onto replies.
func (j *job) dispatch(ctx context.Context, a *Annex, m message, pre prefix) []message {
	r := j.s.remote
	p := m.params
	switch m.word {
	case "INITREMOTE":
		err := j.call(m, func() error { return r.InitRemote(ctx, a) })
		return one(outcome(err, initRemoteSuccess(), initRemoteFailure))
	case "PREPARE":
		err := j.call(m, func() error { return r.Prepare(ctx, a) })
		return one(outcome(err, prepareSuccess(), prepareFailure))
	case "LISTCONFIGS":
		return j.listConfigs(m)
	case "GETINFO":
		return j.getInfo(ctx, a, m)
	case "GETCOST":
		c, ok := r.(Coster)
		if !ok {
			return one(unsupported())
		}
		var n int
		err := j.call(m, func() (err error) { n, err = c.Cost(ctx, a); return err })
		if err != nil {
			j.declined(m, err)
			return one(unsupported())
		}
		return one(cost(n))
	case "GETAVAILABILITY":
		c, ok := r.(Availabler)
		if !ok {
			return one(unsupported())
		}
		var av Availability
		err := j.call(m, func() (err error) { av, err = c.Availability(ctx, a); return err })
		if err == nil && av != Global && av != Local {
			err = fmt.Errorf("invalid availability %q", av)
		}
		if err != nil {
			j.declined(m, err)
			return one(unsupported())
		}
		return one(availability(av))
	case "WHEREIS":
		w, ok := r.(Whereiser)
		if !ok {
			return one(unsupported())
		}
		var where string
		err := j.call(m, func() (err error) { where, err = w.WhereIs(ctx, a, p[0]); return err })
		switch {
		case errors.Is(err, ErrUnsupported):
			return one(unsupported())
		case err != nil || where == "":
			return one(whereIsFailure())
		}
		return one(whereIsSuccess(where))
	case "TRANSFER", "CHECKPRESENT", "REMOVE":
		kv, ok := r.(KeyValue)
		if !ok {
			return one(unsupported())
		}
		return one(j.keyValue(ctx, a, kv, m))
	case "EXPORTSUPPORTED":
		_, ok := r.(Exporter)
		return one(exportSupported(ok))
	case "IMPORTSUPPORTED":
		// Asked in a short-lived process without PREPARE: answer at
		// once, without storage.
		_, ok := r.(Importer)
		return one(importSupported(ok))
	case "TRANSFEREXPORT", "CHECKPRESENTEXPORT", "REMOVEEXPORT", "RENAMEEXPORT", "REMOVEEXPORTDIRECTORY":
		ex, ok := r.(Exporter)
		if !ok {
			return one(unsupported())
		}
		return one(j.export1(ctx, a, ex, m, pre))
	case "LISTIMPORTABLECONTENTS", "RETRIEVEIMPORT", "CHECKPRESENTIMPORT", "IMPORTKEY":
		return one(j.import1(ctx, a, m, pre))
	case "STOREEXPORTEXPECTED", "RETRIEVEEXPORTEXPECTED", "CHECKPRESENTEXPORTEXPECTED",
		"REMOVEEXPORTEXPECTED", "REMOVEEXPORTDIRECTORYWHENEMPTY":
		return one(j.conditional(ctx, a, m, pre))
	}
	// Every word in the table is handled above or in handle.
	return one(unsupported())
}

func (j *job) listConfigs(m message) []message {
	c, ok := j.s.remote.(Configurer)
	if !ok {
		return one(unsupported())
	}
	var list []ConfigSetting
	if err := j.call(m, func() error { list = c.ListConfigs(); return nil }); err != nil {
		// UNSUPPORTED-REQUEST would let initremote accept any
		// parameter; a fatal error is the honest answer.
		return one(errorLine(err.Error()))
	}
	out := make([]message, 0, len(list)+1)
	for _, s := range list {
		out = append(out, configLine(s))
	}
	return append(out, configEnd())
}

func (j *job) getInfo(ctx context.Context, a *Annex, m message) []message {
	in, ok := j.s.remote.(Informer)
	if !ok {
		return one(infoEnd())
	}
	var fields []InfoField
	err := j.call(m, func() (err error) { fields, err = in.Info(ctx, a); return err })
	switch {
	case errors.Is(err, ErrUnsupported):
		return one(unsupported())
	case err != nil:
		// GETINFO has no failure reply: show no fields.
		j.declined(m, err)
		return one(infoEnd())
	}
	out := make([]message, 0, 2*len(fields)+1)
	for _, f := range fields {
		out = append(out, infoField(f.Name), infoValue(f.Value))
	}
	return append(out, infoEnd())
}

func (j *job) keyValue(ctx context.Context, a *Annex, kv KeyValue, m message) message {
	p := m.params
	switch m.word {
	case "TRANSFER":
		dir, key, file := p[0], p[1], p[2]
		err := j.call(m, func() error {
			if dir == "STORE" {
				return kv.Store(ctx, a, key, file)
			}
			return kv.Retrieve(ctx, a, key, file)
		})
		return outcome(err, transferSuccess(dir, key), func(why string) message {
			return transferFailure(dir, key, why)
		})
	case "CHECKPRESENT":
		key := p[0]
		var present bool
		err := j.call(m, func() (err error) { present, err = kv.CheckPresent(ctx, a, key); return err })
		return checkPresent(key, present, err)
	default: // REMOVE
		key := p[0]
		err := j.call(m, func() error { return kv.Remove(ctx, a, key) })
		return outcome(err, removeSuccess(key), func(why string) message { return removeFailure(key, why) })
	}
}

// export1 serves one export request. All but REMOVEEXPORTDIRECTORY need the
// name from the EXPORT right before them.
func (j *job) export1(ctx context.Context, a *Annex, ex Exporter, m message, pre prefix) message {
	p := m.params
	if m.word == "REMOVEEXPORTDIRECTORY" {
		if j.newlineIn(m, p[0]) {
			return removeExportDirectory(false)
		}
		err := j.call(m, func() error { return ex.RemoveExportDirectory(ctx, a, p[0]) })
		if errors.Is(err, ErrUnsupported) {
			return unsupported()
		}
		j.declined(m, err)
		return removeExportDirectory(err == nil)
	}
	if pre.word != "EXPORT" {
		return j.missing(m, "EXPORT")
	}
	name := pre.name
	if pre.newline {
		// The handler never sees such a name: it would be a different
		// file from the one git-annex means.
		j.s.logf("%s: %q", errNewlineName, name)
	}
	switch m.word {
	case "TRANSFEREXPORT":
		dir, key, file := p[0], p[1], p[2]
		fail := func(why string) message { return transferFailure(dir, key, why) }
		if pre.newline {
			return fail(errNewlineName)
		}
		err := j.call(m, func() error {
			if dir == "STORE" {
				return ex.StoreExport(ctx, a, name, key, file)
			}
			return ex.RetrieveExport(ctx, a, name, key, file)
		})
		return outcome(err, transferSuccess(dir, key), fail)
	case "CHECKPRESENTEXPORT":
		key := p[0]
		if pre.newline {
			return checkPresentFailure(key)
		}
		var present bool
		err := j.call(m, func() (err error) { present, err = ex.CheckPresentExport(ctx, a, name, key); return err })
		return checkPresent(key, present, err)
	case "REMOVEEXPORT":
		key := p[0]
		fail := func(why string) message { return removeFailure(key, why) }
		if pre.newline {
			return fail(errNewlineName)
		}
		err := j.call(m, func() error { return ex.RemoveExport(ctx, a, name, key) })
		return outcome(err, removeSuccess(key), fail)
	default: // RENAMEEXPORT
		key, newName := p[0], p[1]
		if pre.newline || j.newlineIn(m, newName) {
			return renameExport(key, false)
		}
		err := j.call(m, func() error { return ex.RenameExport(ctx, a, name, key, newName) })
		if errors.Is(err, ErrUnsupported) {
			return unsupported()
		}
		j.declined(m, err)
		return renameExport(key, err == nil)
	}
}

// newlineIn reports whether name, the last parameter of m, continued on
// the next line (see [session.joinBufferedName]). No file with a newline
// in its name can have been exported, so m fails without calling the
// handler; its failure reply has no reason, which goes to the log.
func (j *job) newlineIn(m message, name string) bool {
	if !strings.Contains(name, "\n") {
		return false
	}
	j.s.logf("%s: %s: %q", m.word, errNewlineName, name)
	return true
}

func checkPresent(key string, present bool, err error) message {
	switch {
	case errors.Is(err, ErrUnsupported):
		return unsupported()
	case err != nil:
		return checkPresentUnknown(key, reason(err))
	case present:
		return checkPresentSuccess(key)
	}
	return checkPresentFailure(key)
}

// outcome maps a handler's error onto its reply: nil is ok, ErrUnsupported
// is UNSUPPORTED-REQUEST, anything else the failure carrying its message.
func outcome(err error, ok message, fail func(why string) message) message {
	switch {
	case err == nil:
		return ok
	case errors.Is(err, ErrUnsupported):
		return unsupported()
	}
	return fail(reason(err))
}

func reason(err error) string {
	if s := err.Error(); s != "" {
		return s
	}
	return "failed"
}

// missing answers a request that needs word (EXPORT, IMPORT, LOCATION)
// right before it and did not get it.
func (j *job) missing(m message, word string) message {
	j.s.logf("protocol: %s without %s before it", m.word, word)
	return errorLine(m.word + " without " + word + " before it")
}

// declined records the error of a request whose reply cannot carry it.
func (j *job) declined(m message, err error) {
	if err != nil && !errors.Is(err, ErrUnsupported) {
		j.s.logf("%s: %v", m.word, err)
	}
}

// call runs a handler, turning a panic into an error so that one bad
// request fails alone instead of killing the session.
func (j *job) call(m message, f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			j.s.logf("panic while handling %s: %v\n%s", m.word, p, debug.Stack())
			err = fmt.Errorf("internal error while handling %s: %v", m.word, p)
		}
	}()
	return f()
}

func one(m message) []message { return []message{m} }

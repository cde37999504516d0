package protocol

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// expect adds an EXPECTED or NOTHINGEXPECTED line to the job's LOCATION.
// Neither is answered; without a LOCATION before it, the line is a
// protocol error.
func (j *job) expect(m message) {
	if j.pre.word != "LOCATION" {
		j.pre = prefix{}
		j.s.logf("protocol: %s without LOCATION before it", m.word)
		j.s.sendBare(errorLine(m.word + " without LOCATION before it"))
		return
	}
	if m.word == "EXPECTED" {
		j.pre.expected = append(j.pre.expected, m.params[0])
	} else {
		j.pre.nothing = true
	}
	// Reported at the request, once, rather than here.
	j.pre.conflict = j.pre.nothing && len(j.pre.expected) > 0
}

// conditional serves one request of the conditional draft. All but
// REMOVEEXPORTDIRECTORYWHENEMPTY need a LOCATION right before them.
func (j *job) conditional(ctx context.Context, a *Annex, m message, pre prefix) message {
	ce, ok := j.s.remote.(ConditionalExporter)
	if !ok {
		return unsupported()
	}
	p := m.params
	if m.word == "REMOVEEXPORTDIRECTORYWHENEMPTY" {
		if j.newlineIn(m, p[0]) {
			return removeExportDirectory(false)
		}
		err := j.call(m, func() error { return ce.RemoveExportDirectoryWhenEmpty(ctx, a, p[0]) })
		if errors.Is(err, ErrUnsupported) {
			return unsupported()
		}
		j.declined(m, err)
		return removeExportDirectory(err == nil)
	}
	if pre.word != "LOCATION" {
		return j.missing(m, "LOCATION")
	}
	if pre.conflict {
		j.s.logf("protocol: %s after both EXPECTED and NOTHINGEXPECTED", m.word)
		return errorLine(m.word + " after both EXPECTED and NOTHINGEXPECTED")
	}
	loc := Location{Name: pre.name, Expected: pre.expected, NothingExpected: pre.nothing}
	if pre.newline {
		// As for EXPORT: the handler never sees such a name.
		j.s.logf("%s: %q", errNewlineName, loc.Name)
	}
	switch m.word {
	case "STOREEXPORTEXPECTED":
		key, file := p[0], p[1]
		fail := func(why string) message { return storeFailure(key, why) }
		if pre.newline {
			return fail(errNewlineName)
		}
		var cid string
		err := j.call(m, func() (err error) { cid, err = ce.StoreExportExpected(ctx, a, loc, key, file); return err })
		if err == nil && (cid == "" || strings.Contains(cid, "\n")) {
			// git-annex could not record it: the store is of no use.
			err = fmt.Errorf("StoreExportExpected returned content identifier %q, which cannot be sent", cid)
			j.s.logf("%s %q: %v", m.word, loc.Name, err)
		}
		return outcome(err, storeSuccess(key, cid), fail)
	case "RETRIEVEEXPORTEXPECTED":
		file := p[0]
		if pre.newline {
			return retrieveFailure(errNewlineName)
		}
		err := j.call(m, func() error { return ce.RetrieveExportExpected(ctx, a, loc, "", file) })
		return outcome(err, retrieveSuccess(), retrieveFailure)
	case "CHECKPRESENTEXPORTEXPECTED":
		key := p[0]
		if pre.newline {
			return checkPresentFailure(key)
		}
		var present bool
		err := j.call(m, func() (err error) { present, err = ce.CheckPresentExportExpected(ctx, a, loc, key); return err })
		return checkPresent(key, present, err)
	default: // REMOVEEXPORTEXPECTED
		key := p[0]
		fail := func(why string) message { return removeFailure(key, why) }
		if pre.newline {
			return fail(errNewlineName)
		}
		err := j.call(m, func() error { return ce.RemoveExportExpected(ctx, a, loc, key) })
		return outcome(err, removeSuccess(key), fail)
	}
}

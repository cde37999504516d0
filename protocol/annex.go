package protocol

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
)

// Annex is one job's line to git-annex: the calls a remote makes back while it
// handles a request. Under ASYNC every job has its own Annex, and its queries
// are answered on that job's channel. An Annex is only valid during the
// handler call it was passed to: afterwards queries fail, and Debug, Info and
// Progress go to Options.Stderr or nowhere.
//
// A query that git-annex answers with ERROR (10.20230126 does so for
// SETSTATE, GETSTATE and GETGITREMOTENAME during INITREMOTE) returns an error
// matching [ErrQueryRefused]; the session goes on.
//
// The methods are safe for concurrent use by the goroutines of one handler;
// queries are serialised, since git-annex answers them in order.
//
// A query whose context ends before git-annex answers returns the
// context's error. git-annex answers it all the same; that late answer is
// dropped, so later queries still get their own.
//
// The zero Annex is connected to nothing: its queries fail and its notes and
// progress are dropped, which suits unit tests of handlers.
type Annex struct {
	j        *job
	transfer bool        // PROGRESS is meaningful (see [transfers])
	done     atomic.Bool // the handler has returned

	qmu sync.Mutex // one query at a time

	pmu      sync.Mutex
	progress progressState
}

// GetConfig returns the value of a setting; an unset setting is "".
func (a *Annex) GetConfig(ctx context.Context, name string) (string, error) {
	return a.value(ctx, msg("GETCONFIG", name))
}

// SetConfig records a setting in the git-annex branch (during INITREMOTE).
func (a *Annex) SetConfig(ctx context.Context, name, value string) error {
	if err := a.usable(msg("SETCONFIG", name, value)); err != nil {
		return err
	}
	return a.j.send(msg("SETCONFIG", name, value))
}

// GetCreds returns stored credentials for setting.
func (a *Annex) GetCreds(ctx context.Context, setting string) (user, password string, err error) {
	m, err := a.ask(ctx, msg("GETCREDS", setting), "CREDS")
	if err != nil {
		return "", "", err
	}
	return m.params[0], m.params[1], nil
}

// SetCreds stores credentials (during INITREMOTE). Neither setting nor user
// may contain a space; the password may.
func (a *Annex) SetCreds(ctx context.Context, setting, user, password string) error {
	return a.tell(ctx, msg("SETCREDS", setting, user, password))
}

// GetUUID returns the remote's UUID.
func (a *Annex) GetUUID(ctx context.Context) (string, error) {
	return a.value(ctx, msg("GETUUID"))
}

// GetGitDir returns the repository's git directory, often relative to the
// working directory (".git").
func (a *Annex) GetGitDir(ctx context.Context) (string, error) {
	return a.value(ctx, msg("GETGITDIR"))
}

// GetGitRemoteName returns the name of the git remote. It fails with an
// error matching [ErrQueryRefused] when git-annex did not offer the
// GETGITREMOTENAME extension, and during INITREMOTE, where no remote exists
// yet.
func (a *Annex) GetGitRemoteName(ctx context.Context) (string, error) {
	if a.j != nil && !a.j.s.remoteName {
		return "", &QueryError{Query: "GETGITREMOTENAME", Message: "git-annex did not offer the GETGITREMOTENAME extension"}
	}
	return a.value(ctx, msg("GETGITREMOTENAME"))
}

// GetState returns the state stored for key by SetState ("" if none).
func (a *Annex) GetState(ctx context.Context, key string) (string, error) {
	return a.value(ctx, msg("GETSTATE", key))
}

// SetState stores state for key in the git-annex branch. It returns an
// error matching [ErrQueryRefused] when git-annex refuses it, as
// 10.20230126 does during INITREMOTE.
func (a *Annex) SetState(ctx context.Context, key, value string) error {
	return a.tell(ctx, msg("SETSTATE", key, value))
}

// DirHash returns the two-level hash directory git-annex uses for key in
// its own repository ("aB/cD/").
func (a *Annex) DirHash(ctx context.Context, key string) (string, error) {
	return a.value(ctx, msg("DIRHASH", key))
}

// DirHashLower returns the lowercase two-level hash directory for key
// ("abc/def/"), as git-annex's directory special remote uses.
func (a *Annex) DirHashLower(ctx context.Context, key string) (string, error) {
	return a.value(ctx, msg("DIRHASH-LOWER", key))
}

// Debug sends DEBUG; shown by `git annex --debug`. A message with newlines
// goes out as several lines.
func (a *Annex) Debug(msg string) { a.note("DEBUG", msg) }

// Info sends INFO when git-annex offered the INFO extension, DEBUG otherwise.
// INFO is shown to the user even without --debug.
func (a *Annex) Info(msg string) {
	if a.j != nil && a.j.s.info {
		a.note("INFO", msg)
		return
	}
	a.note("DEBUG", msg)
}

// Fatal sends ERROR: git-annex reports msg and stops using the remote for
// the rest of its run. The handler should then return an error. Use it only
// when things are too broken to go on; a failed request is a returned error.
func (a *Annex) Fatal(msg string) {
	if a.j == nil {
		return
	}
	a.j.s.logf("fatal: %s", msg)
	a.j.s.sendBare(errorLine(msg))
}

func (a *Annex) note(word, text string) {
	if a.j == nil {
		return
	}
	if a.done.Load() || a.j.listing.Load() {
		// During a listing, a note would make git-annex drop the
		// entries before it (see job.listing).
		a.j.s.logf("%s", text)
		return
	}
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		a.j.send(msg(word, line))
	}
}

// value sends a query answered by VALUE and returns the value.
func (a *Annex) value(ctx context.Context, q message) (string, error) {
	m, err := a.ask(ctx, q, "VALUE")
	if err != nil {
		return "", err
	}
	return m.params[0], nil
}

// ask sends q and waits for its answer, which must be the word want.
func (a *Annex) ask(ctx context.Context, q message, want string) (message, error) {
	if err := a.usable(q); err != nil {
		return message{}, err
	}
	a.qmu.Lock()
	defer a.qmu.Unlock()
	a.j.awaiting.Store(true) // before sending: the answer may be a bare ERROR
	defer a.j.awaiting.Store(false)
	if err := a.j.send(q); err != nil {
		return message{}, err
	}
	return a.await(ctx, q.word, want, dueAnswer)
}

// tell sends m, which has no reply on success but which git-annex may refuse
// with ERROR (SETSTATE and SETCREDS where it has nowhere to store them).
// Left alone, that ERROR would arrive where the next query's answer is
// awaited and shift every later answer by one. So GETUUID, which git-annex
// always answers, follows at once: an ERROR before its VALUE is m's refusal.
func (a *Annex) tell(ctx context.Context, m message) error {
	if err := a.usable(m); err != nil {
		return err
	}
	a.qmu.Lock()
	defer a.qmu.Unlock()
	a.j.awaiting.Store(true)
	defer a.j.awaiting.Store(false)
	if err := a.j.send(m); err != nil {
		return err
	}
	if err := a.j.send(msg("GETUUID")); err != nil {
		return err
	}
	_, err := a.await(ctx, "GETUUID", "VALUE", dueValue)
	var qe *QueryError
	if !errors.As(err, &qe) {
		return err
	}
	// The ERROR was m's; GETUUID's VALUE is still to come.
	if _, err := a.await(ctx, "GETUUID", "VALUE", dueAnswer); err != nil {
		return err
	}
	qe.Query = m.word
	return qe
}

// await takes the answer to query from the job's inbox. When ctx ends
// first, the answer still comes, and stillDue tells the job what to drop.
func (a *Annex) await(ctx context.Context, query, want string, stillDue due) (message, error) {
	ev, err := a.j.nextForQuery(ctx)
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		} else {
			a.j.owe(stillDue)
		}
		return message{}, fmt.Errorf("%s: no answer from git-annex: %w", query, err)
	}
	isAnswer := ev.isAnswer()
	switch {
	case ev.kind == evMsg && ev.msg.word == want:
		return ev.msg, nil
	case ev.kind == evMsg && ev.msg.word == "ERROR":
		return message{}, &QueryError{Query: query, Message: ev.msg.params[0]}
	case ev.kind == evMsg && isAnswer:
		return message{}, &ProtocolError{fmt.Sprintf("%s: expected %s, git-annex answered %s", query, want, ev.msg.word)}
	case ev.kind == evBad && isAnswer:
		a.j.s.sendBare(errorLine(ev.err.Error()))
		return message{}, &ProtocolError{fmt.Sprintf("%s: %v", query, ev.err)}
	}
	// A request while an answer is due: leave it for the job loop.
	a.j.unread(ev)
	return message{}, &ProtocolError{fmt.Sprintf("%s: git-annex sent a request instead of %s", query, want)}
}

// usable checks that a is still valid and that m fits on one line with the
// parameter count git-annex expects.
func (a *Annex) usable(m message) error {
	if a.j == nil {
		return fmt.Errorf("%s: Annex is not connected to git-annex", m.word)
	}
	if a.done.Load() {
		return fmt.Errorf("%s: Annex used after its handler returned", m.word)
	}
	if a.j.listing.Load() {
		return fmt.Errorf("%s: not sent in the middle of a listing: git-annex would drop the entries before it", m.word)
	}
	for i, p := range m.params {
		if strings.Contains(p, "\n") {
			return &ProtocolError{fmt.Sprintf("%s: parameter %d contains a newline", m.word, i+1)}
		}
		if i < len(m.params)-1 && strings.Contains(p, " ") {
			return &ProtocolError{fmt.Sprintf("%s: parameter %d contains a space", m.word, i+1)}
		}
	}
	return nil
}

// Progress reports bytes transferred so far for the current transfer.
// Throttled to about four lines a second, the first a quarter of a second
// into the transfer; a value held back goes out before a failure reply and
// is dropped before a success. Outside TRANSFER, TRANSFEREXPORT, RETRIEVEIMPORT,
// STOREEXPORTEXPECTED and RETRIEVEEXPORTEXPECTED it does nothing.
func (a *Annex) Progress(bytes int64) {
	a.pmu.Lock()
	defer a.pmu.Unlock()
	if a.j == nil || !a.transfer || a.done.Load() {
		return
	}
	if a.progress.report(bytes, a.j.s.cfg.now()) {
		a.j.send(progressLine(bytes))
	}
}

// ProgressReader counts bytes read through r and reports them with Progress.
func (a *Annex) ProgressReader(r io.Reader) io.Reader { return &progressReader{r: r, a: a} }

// ProgressWriter counts bytes written through w and reports them with Progress.
func (a *Annex) ProgressWriter(w io.Writer) io.Writer { return &progressWriter{w: w, a: a} }

// finish ends the handler's use of a: before a failure the last throttled
// PROGRESS goes out, then a is closed, so nothing from a stray goroutine can
// follow the reply.
func (a *Annex) finish(failed bool) {
	a.pmu.Lock()
	defer a.pmu.Unlock()
	if n, ok := a.progress.final(); ok && a.transfer && failed {
		a.j.send(progressLine(n))
	}
	a.done.Store(true)
}

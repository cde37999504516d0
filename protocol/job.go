package protocol

import (
	"context"
	"io"
	"sync"
	"sync/atomic"
)

type eventKind uint8

const (
	evMsg  eventKind = iota // a parsed message: a request, or an answer to a query
	evBad                   // a line that broke the protocol: answer ERROR
	evMore                  // a raw line continuing the job's EXPORT, IMPORT or LOCATION name
)

type event struct {
	kind eventKind
	msg  message
	err  error  // evBad
	text string // evMore

	// See prepare_gate.go: closed when this PREPARE is answered; the
	// PREPARE read before this request.
	prepared, afterPrepare chan struct{}
}

// prefix is what a request takes from the lines right before it on its
// job: the name given by EXPORT, IMPORT or LOCATION, and the EXPECTED and
// NOTHINGEXPECTED lines that follow a LOCATION. The one request that
// follows consumes it, whichever request that is.
type prefix struct {
	word     string // EXPORT, IMPORT or LOCATION; "" when none came
	name     string
	newline  bool     // the name continued on another line
	expected []string // LOCATION: the EXPECTED identifiers, in order
	nothing  bool     // LOCATION: NOTHINGEXPECTED came
	conflict bool     // LOCATION: both EXPECTED and NOTHINGEXPECTED came
}

// setsName reports whether word names the file for the request after it.
func setsName(word string) bool {
	return word == "EXPORT" || word == "IMPORT" || word == "LOCATION"
}

// endsInName reports whether the last parameter of word is a file or
// directory name in the export, which may continue on the next lines.
func endsInName(word string) bool {
	return word == "RENAMEEXPORT" || word == "REMOVEEXPORTDIRECTORY" || word == "REMOVEEXPORTDIRECTORYWHENEMPTY"
}

// job is one git-annex job: the single job of a plain session, or one "J n"
// under ASYNC. It handles its requests one at a time, in order, on its own
// goroutine; its inbox is unbounded so the reader never waits for a busy job
// and one slow job cannot hold up the others.
type job struct {
	s  *session
	id string // "" without ASYNC

	mu     sync.Mutex
	queue  []event
	closed bool
	wake   chan struct{} // capacity 1: "the queue may have changed"

	// awaiting is set while a query waits for its answer, so a bare
	// ERROR can be routed to it.
	awaiting atomic.Bool
	// owed lists, oldest first, the answers still to come for queries
	// given up on when their context ended: git-annex answers them all
	// the same, and no later query may take them for its own. Guarded
	// by mu.
	owed []due

	pre prefix // owned by the job's goroutine

	// listing is set once a listing has taken an entry, until it is
	// answered: git-annex 10.20261026 restarts its listing at any other
	// message (DEBUG, INFO, a query) and drops the entries before it, so
	// notes then go to stderr and queries fail.
	listing atomic.Bool
}

// due is what a query given up on still has coming from git-annex.
type due uint8

const (
	dueAnswer due = iota // one answer: VALUE, CREDS or ERROR
	dueValue             // a VALUE, after an ERROR if the message told is refused ([Annex.tell])
)

// isAnswer reports whether ev answers a query, well formed or not.
func (ev event) isAnswer() bool {
	w := ev.msg.word
	return w == "VALUE" || w == "CREDS" || w == "ERROR"
}

func newJob(s *session, id string) *job {
	return &job{s: s, id: id, wake: make(chan struct{}, 1)}
}

func (j *job) push(ev event) {
	j.mu.Lock()
	if !j.closed {
		j.queue = append(j.queue, ev)
	}
	j.mu.Unlock()
	j.signal()
}

// unread puts back an event a query took but cannot use, for the job loop.
func (j *job) unread(ev event) {
	j.mu.Lock()
	j.queue = append([]event{ev}, j.queue...)
	j.mu.Unlock()
	j.signal()
}

func (j *job) close() {
	j.mu.Lock()
	j.closed = true
	j.mu.Unlock()
	j.signal()
}

func (j *job) signal() {
	select {
	case j.wake <- struct{}{}:
	default:
	}
}

// next returns the job's next event. It fails with io.EOF once the input
// has ended and the queue is empty, or with the context's cause.
func (j *job) next(ctx context.Context) (event, error) {
	for {
		if ctx.Err() != nil {
			return event{}, context.Cause(ctx)
		}
		j.mu.Lock()
		if len(j.queue) > 0 {
			ev := j.queue[0]
			j.queue[0] = event{}
			j.queue = j.queue[1:]
			j.mu.Unlock()
			return ev, nil
		}
		closed := j.closed
		j.mu.Unlock()
		if closed {
			return event{}, io.EOF
		}
		select {
		case <-j.wake:
		case <-ctx.Done():
		}
	}
}

// owe records that a query given up on will still be answered.
func (j *job) owe(d due) {
	j.mu.Lock()
	j.owed = append(j.owed, d)
	j.mu.Unlock()
}

// wantsAnswer reports whether an answer is due to this job: a query is
// waiting, or one given up on is still owed its answer.
func (j *job) wantsAnswer() bool {
	if j.awaiting.Load() {
		return true
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.owed) > 0
}

// dropOwed reports whether ev is the late answer of a query given up on,
// and if so, consumes it.
func (j *job) dropOwed(ev event) bool {
	if !ev.isAnswer() {
		return false
	}
	j.mu.Lock()
	if len(j.owed) == 0 {
		j.mu.Unlock()
		return false
	}
	if j.owed[0] == dueAnswer || ev.msg.word == "VALUE" {
		j.owed = j.owed[1:]
	}
	j.mu.Unlock()
	j.s.logf("protocol: dropping %s: it answers a query given up on", ev.msg.word)
	return true
}

// nextForQuery returns the job's next event that is not the late answer of
// a query given up on.
func (j *job) nextForQuery(ctx context.Context) (event, error) {
	for {
		ev, err := j.next(ctx)
		if err != nil || !j.dropOwed(ev) {
			return ev, err
		}
	}
}

func (j *job) run() {
	defer j.s.wg.Done()
	for {
		ev, err := j.next(j.s.ctx)
		if err != nil {
			return
		}
		j.handle(ev)
	}
}

// send writes messages on this job's channel, adjacent to each other.
func (j *job) send(ms ...message) error {
	for i := range ms {
		ms[i].job = j.id
	}
	return j.s.write(ms...)
}

package protocol

import "context"

// A request waits until the PREPARE read before it (on any job) has been
// answered. git-annex never sends another request before PREPARE-SUCCESS;
// holding back a peer that does keeps a remote's storage opened once, by
// PREPARE, with the configuration PREPARE asked for. Only a PREPARE read
// earlier is waited for, so a job's own queue never waits on itself.

// gate marks a request event with what it waits for or, for a PREPARE,
// what it must release. Called by the reader, in reading order.
func (s *session) gate(ev *event) {
	if ev.msg.word == "PREPARE" {
		ev.prepared = make(chan struct{})
		s.lastPrepare = ev.prepared
		return
	}
	ev.afterPrepare = s.lastPrepare
}

// waitPrepared returns once the PREPARE ev was read after has been
// answered, or ctx is done.
func (ev *event) waitPrepared(ctx context.Context) error {
	if ev.afterPrepare == nil {
		return nil
	}
	select {
	case <-ev.afterPrepare:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// releasePrepared lets the requests read after this PREPARE go on.
func (ev *event) releasePrepared() {
	if ev.prepared != nil {
		close(ev.prepared)
	}
}

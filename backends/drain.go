package backends

import (
	"context"
	"errors"
)

// drainBatch bounds the names [Drain] holds at once. A variable so that
// tests can reach the repeat without storing thousands of files.
var drainBatch = 1000

var errBatchFull = errors.New("batch full")

// Drain empties dir of the names pick accepts, a batch at a time: it lists
// up to a thousand of them, hands them to act, and lists again while
// batches come back full. act removes what it can of its batch and returns
// the names it left in place (say, files another program changed); those
// are never handed to act again, so every batch makes progress and Drain
// ends even when more than a batch of names stays. A nil pick accepts
// every name. Memory grows only with the names left in place.
func Drain(ctx context.Context, b Backend, dir string, pick func(Info) bool, act func([]Info) (kept []string, err error)) error {
	left := map[string]bool{}
	for {
		batch := make([]Info, 0, drainBatch)
		err := b.List(ctx, dir, func(info Info) error {
			if left[info.Name] || pick != nil && !pick(info) {
				return nil
			}
			batch = append(batch, info)
			if len(batch) == drainBatch {
				return errBatchFull
			}
			return nil
		})
		if err != nil && !errors.Is(err, errBatchFull) {
			return err
		}
		kept, err := act(batch)
		if err != nil {
			return err
		}
		for _, name := range kept {
			left[name] = true
		}
		if len(batch) < drainBatch {
			return nil
		}
	}
}

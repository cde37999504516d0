package backends

// SetDrainBatch lets tests reach Drain's repeat with a few names; it returns
// a function that restores the batch size.
func SetDrainBatch(n int) (restore func()) {
	old := drainBatch
	drainBatch = n
	return func() { drainBatch = old }
}

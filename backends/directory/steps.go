package directory

// The steps of a store, and of a conditional operation, at which a crash
// test may stop the program through [TestHookStep] and kill it: the points
// where a crash leaves the most to recover.
const (
	// StepStored: a store's temporary is complete and synced, and not
	// yet committed under its name.
	StepStored = "stored"
	// StepAside: a conditional operation has moved the current file
	// aside; the name is empty.
	StepAside = "aside"
	// StepSpent: the aside file is checked and marked spent; the name is
	// still empty.
	StepSpent = "spent"
	// StepReplaced: the replacement is in place; the spent file is not
	// yet removed.
	StepReplaced = "replaced"
	// StepCommitted: a store's content is in place, its directory not
	// yet fsynced.
	StepCommitted = "committed"
)

// TestHookStep is for crash tests only, and nil in normal use: when set
// (before the first operation), it runs at each Step* point and may block
// there until the process is killed.
var TestHookStep func(step string)

// reached tells TestHookStep that an operation got to step.
func reached(step string) {
	if TestHookStep != nil {
		TestHookStep(step)
	}
}

package main

import (
	"os"
	"runtime/debug"
	"sync"
)

// The garbage collector runs at Go's default pace (GOGC=100), which costs
// far less CPU per small store than a tighter one, under a memory limit that
// follows the content buffers S3 stores hold: a 1 GiB upload keeps
// Parallelism buffers of PartSize live (32 MiB by default), and at the
// default pace the heap would grow to twice that. The limit is room for
// everything else plus the buffers in use, so the heap stays near what is
// live during a large upload, and concurrent uploads (ASYNC jobs) raise it
// instead of making the collector run without end.

// memoryRoom is the limit without content buffers: the program's own
// memory (10 to 18 MiB of RSS, BENCHMARKS.md) and its garbage. A 1 GiB
// upload with the default parts peaks at 53 MiB of RSS with it (55 MiB with
// the collector at 25% growth, its setting before), 60 MiB with 24 MiB.
const memoryRoom = 16 << 20

// memoryBudget sets the runtime's memory limit from the buffers in use. A
// nil budget does nothing (tests, and a user's own GOMEMLIMIT).
type memoryBudget struct {
	mu      sync.Mutex
	buffers int64
	set     func(limit int64) int64 // debug.SetMemoryLimit
}

// newMemoryBudget returns the budget for this process, or nil when the
// user chose a limit with GOMEMLIMIT.
func newMemoryBudget() *memoryBudget {
	if os.Getenv("GOMEMLIMIT") != "" {
		return nil
	}
	m := &memoryBudget{set: debug.SetMemoryLimit}
	m.set(memoryRoom)
	return m
}

// add records n bytes of buffers taken (positive) or given up (negative).
func (m *memoryBudget) add(n int64) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.buffers += n
	m.set(memoryRoom + max(m.buffers, 0))
}

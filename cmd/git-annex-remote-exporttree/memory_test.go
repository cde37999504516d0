package main

import (
	"slices"
	"testing"
)

// The limit is the room plus the buffers in use, whatever the order in
// which concurrent stores take and give them up.
func TestMemoryBudget(t *testing.T) {
	var limits []int64
	m := &memoryBudget{set: func(limit int64) int64 { limits = append(limits, limit); return 0 }}
	const part = 8 << 20
	for _, n := range []int64{part, part, 4096, -part, -4096, -part} {
		m.add(n)
	}
	want := []int64{memoryRoom + part, memoryRoom + 2*part, memoryRoom + 2*part + 4096,
		memoryRoom + part + 4096, memoryRoom + part, memoryRoom}
	if !slices.Equal(limits, want) {
		t.Errorf("limits %v, want %v", limits, want)
	}

	var none *memoryBudget // GOMEMLIMIT set, or a test: nothing to do
	none.add(part)
}

func TestMemoryBudgetLeavesGOMEMLIMIT(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "1GiB")
	if m := newMemoryBudget(); m != nil {
		t.Errorf("with GOMEMLIMIT set, newMemoryBudget = %+v, want nil", m)
	}
}

package main

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
)

// A row whose runs stopped, in the warm-up or by an interrupt, must read
// as failed: its medians are of no runs or of some, never a verdict.
func TestCompareStoppedRowIsFailed(t *testing.T) {
	ok := func() (sample, error) { return sample{value: 1}, nil }
	bad := func() (sample, error) { return sample{}, errors.New("boom") }

	b := &bench{ctx: context.Background()}
	r := &row{name: "warm", maxRatio: 1.1, warmUp: true}
	if err := b.compare(r, 3, bad, ok); err == nil {
		t.Fatal("compare with a failing warm-up: no error")
	}
	if got := r.met(); !strings.Contains(got, "failed") {
		t.Errorf("warm-up failed: met() = %q, want failed", got)
	}

	ctx, cancel := context.WithCancel(context.Background())
	b = &bench{ctx: ctx}
	r = &row{name: "interrupted", maxRatio: 1.1}
	runs := 0
	stopAfterOne := func() (sample, error) {
		runs++
		if runs == 3 {
			cancel()
		}
		return sample{value: 1}, nil
	}
	if err := b.compare(r, 3, stopAfterOne, stopAfterOne); err == nil {
		t.Fatal("compare interrupted: no error")
	}
	if got := r.met(); !strings.Contains(got, "failed") {
		t.Errorf("interrupted after %d of 6 runs: met() = %q, want failed", len(r.oursRuns)+len(r.baseRuns), got)
	}
}

func TestOnlyMatchesAny(t *testing.T) {
	for only, want := range map[string]bool{"": true, "export|jobs": true, "^list$": true, "exprot": false, "^lists$": false} {
		if got := matchesAny(regexp.MustCompile(only)); got != want {
			t.Errorf("matchesAny(%q) = %v, want %v", only, got, want)
		}
	}
}

// The table's ratio must not read as within the target when the verdict
// beside it says missed, nor the other way round.
func TestRatioTextAgreesWithVerdict(t *testing.T) {
	for _, c := range []struct {
		ours, base, max float64
		want            string
	}{
		{1.104, 1, 1.1, "1.104×"},       // missed, not "1.10×"
		{1.1, 1, 1.1, "1.10×"},          // met at the boundary
		{1.0004, 1, 1.0, "1.0004×"},     // missed ≤ 1.0×
		{1.1111, 1, 1 / 0.9, "1.11×"},   // met ≥ 0.9× throughput
		{1.1112, 1, 1 / 0.9, "1.1112×"}, // missed
		{0.5, 1, 0, "0.50×"},
	} {
		r := &row{maxRatio: c.max, oursRuns: []sample{{value: c.ours}}, baseRuns: []sample{{value: c.base}}}
		got := r.ratioText()
		if got != c.want {
			t.Errorf("%v / %v against ≤ %v: %q (%s), want %q", c.ours, c.base, c.max, got, r.met(), c.want)
		}
	}
}

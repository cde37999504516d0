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

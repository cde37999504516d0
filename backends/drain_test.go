package backends_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
	"github.com/exporttree/git-annex-remote-exporttree/backends/memory"
)

// storeNames stores n small files d/f00, d/f01, … and returns their names.
func storeNames(t *testing.T, b backends.Backend, n int) []string {
	t.Helper()
	var names []string
	for i := range n {
		name := fmt.Sprintf("d/f%02d", i)
		if _, err := b.Store(t.Context(), name, strings.NewReader(name), backends.StoreOptions{Size: int64(len(name))}); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	return names
}

func listed(t *testing.T, b backends.Backend) []string {
	t.Helper()
	var names []string
	err := b.List(t.Context(), "", func(info backends.Info) error {
		names = append(names, info.Name)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	return names
}

// TestDrainPassesNamesLeftInPlace keeps more than a full batch of names in
// place: Drain must neither list them forever nor stop before removing the
// names behind them.
func TestDrainPassesNamesLeftInPlace(t *testing.T) {
	defer backends.SetDrainBatch(4)()
	b := memory.New()
	names := storeNames(t, b, 15)
	stays := func(name string) bool { return name < "d/f06" } // six, more than a batch
	batches := 0
	err := backends.Drain(t.Context(), b, "d", nil, func(batch []backends.Info) ([]string, error) {
		batches++
		if batches > 20 {
			t.Fatal("Drain keeps listing the names left in place")
		}
		var kept []string
		for _, info := range batch {
			if stays(info.Name) {
				kept = append(kept, info.Name)
				continue
			}
			if err := b.Remove(t.Context(), info.Name, backends.Unconditional); err != nil {
				return nil, err
			}
		}
		return kept, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := listed(t, b), slices.DeleteFunc(names, func(n string) bool { return !stays(n) }); !slices.Equal(got, want) {
		t.Errorf("left after Drain: %q, want %q", got, want)
	}
}

// TestDrainPicks hands act only the names pick accepts.
func TestDrainPicks(t *testing.T) {
	defer backends.SetDrainBatch(4)()
	b := memory.New()
	storeNames(t, b, 10)
	odd := func(info backends.Info) bool { return info.Name[len(info.Name)-1]%2 == 1 }
	err := backends.Drain(t.Context(), b, "d", odd, func(batch []backends.Info) ([]string, error) {
		for _, info := range batch {
			if !odd(info) {
				t.Errorf("act got %q, which pick refused", info.Name)
			}
			if err := b.Remove(t.Context(), info.Name, backends.Unconditional); err != nil {
				return nil, err
			}
		}
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"d/f00", "d/f02", "d/f04", "d/f06", "d/f08"}
	if got, want := listed(t, b), want; !slices.Equal(got, want) {
		t.Errorf("left after Drain: %q, want %q", got, want)
	}
}

// TestDrainStopsOnError returns act's error without another listing.
func TestDrainStopsOnError(t *testing.T) {
	defer backends.SetDrainBatch(4)()
	b := memory.New()
	storeNames(t, b, 10)
	calls := 0
	errAct := fmt.Errorf("act failed")
	err := backends.Drain(context.Background(), b, "d", nil, func([]backends.Info) ([]string, error) {
		calls++
		return nil, errAct
	})
	if err != errAct || calls != 1 {
		t.Errorf("Drain = %v after %d calls of act, want %v after 1", err, calls, errAct)
	}
}

// TestRemoveDirFallbackInBatches empties a directory of more than one batch
// through the listing fallback.
func TestRemoveDirFallbackInBatches(t *testing.T) {
	defer backends.SetDrainBatch(4)()
	b := memory.New()
	storeNames(t, b, 10)
	if _, err := b.Store(t.Context(), "other", strings.NewReader("x"), backends.StoreOptions{Size: 1}); err != nil {
		t.Fatal(err)
	}
	if err := backends.RemoveDir(t.Context(), b, "d"); err != nil {
		t.Fatal(err)
	}
	if got, want := listed(t, b), []string{"other"}; !slices.Equal(got, want) {
		t.Errorf("left after RemoveDir: %q, want %q", got, want)
	}
}

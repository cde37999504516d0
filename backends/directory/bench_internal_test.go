package directory

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
	"golang.org/x/sys/unix"
)

// plantLabeled writes a file under root as Store leaves it (content, then a
// label tied to its stamp), without Store's fsyncs, which would dominate
// setting up thousands of files.
func plantLabeled(tb testing.TB, root, name, label string) {
	tb.Helper()
	p := filepath.Join(root, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
		tb.Fatal(err)
	}
	f, err := os.Create(p)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(name); err != nil {
		tb.Fatal(err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		tb.Fatal(err)
	}
	if err := setLabel(int(f.Fd()), stamp(&st), label); err != nil {
		tb.Fatal(err)
	}
}

// cpuTime is the CPU time this process has used, in user and kernel mode:
// steadier than wall time on a shared machine.
func cpuTime(tb testing.TB) time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkList lists 10,000 labelled files in 100 directories; ns/op is
// per listing, ns/name per file listed.
func BenchmarkList(b *testing.B) {
	const dirs, perDir = 100, 100
	root := b.TempDir()
	for i := range dirs {
		for j := range perDir {
			plantLabeled(b, root, fmt.Sprintf("dir%03d/file%03d", i, j), "SHA256E-s10--0123456789abcdef")
		}
	}
	be, err := Open(root, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer be.Close()
	n := 0
	cpu := cpuTime(b)
	for b.Loop() {
		n = 0
		err := be.List(b.Context(), "", func(info backends.Info) error {
			if info.Label == "" && be.RecordsLabels() {
				return fmt.Errorf("%s: no label", info.Name)
			}
			n++
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if n != dirs*perDir {
		b.Fatalf("listed %d names, want %d", n, dirs*perDir)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/name")
	b.ReportMetric(float64(cpuTime(b)-cpu)/float64(b.N*n), "cpu-ns/name")
}

// BenchmarkStat describes a present, labelled file, at the top and one
// directory down.
func BenchmarkStat(b *testing.B) {
	for _, name := range []string{"f", "d/f"} {
		b.Run(filepath.Dir(name), func(b *testing.B) {
			root := b.TempDir()
			plantLabeled(b, root, name, "SHA256E-s10--0123456789abcdef")
			be, err := Open(root, Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer be.Close()
			cpu := cpuTime(b)
			for b.Loop() {
				info, err := be.Stat(b.Context(), name)
				if err != nil {
					b.Fatal(err)
				}
				if info.Label == "" && be.RecordsLabels() {
					b.Fatal("no label")
				}
			}
			b.ReportMetric(float64(cpuTime(b)-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkStore4K stores 4 KiB with a label over one of 100 names one
// directory down; fsyncs dominate its wall time, so CPU time is reported
// too.
func BenchmarkStore4K(b *testing.B) {
	be, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer be.Close()
	data := strings.Repeat("x", 4<<10)
	i := 0
	cpu := cpuTime(b)
	for b.Loop() {
		name := "d/f" + strconv.Itoa(i%100)
		opts := backends.StoreOptions{Size: int64(len(data)), Label: "SHA256E-s4096--0123456789abcdef"}
		if _, err := be.Store(b.Context(), name, strings.NewReader(data), opts); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(cpuTime(b)-cpu)/float64(b.N), "cpu-ns/op")
}

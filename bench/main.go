// Command bench measures git-annex-remote-exporttree against named
// baselines and prints a Markdown report: the machine, then a table of
// medians and ratios (ours / baseline), then every run's values.
//
// Each comparison runs ours and its baseline alternately, on the same data,
// in this one process run: git annex export against git-annex's built-in
// directory and S3 remotes, single large transfers driven over the protocol
// against cp/sync and bare minio-go, export -J8 with and without ASYNC,
// exports to the floor (a minimal external remote: what any could reach),
// LISTIMPORTABLECONTENTS of many names, and the protocol's own cost.
//
// scripts/bench installs the tools and runs it; directly:
//
//	go run ./bench [-quick] [-runs N] [-only REGEXP] [-keep]
//
// It finds git-annex through EXPORTTREE_GIT_ANNEX_SID_BIN (else
// EXPORTTREE_GIT_ANNEX_BOOKWORM, else PATH) and MinIO as the tests do
// (EXPORTTREE_MINIO). Progress goes to stderr, the report to stdout.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"
)

func main() {
	if isFloor() {
		os.Exit(floor())
	}
	os.Exit(run())
}

// scale is how much work each measurement does.
type scale struct {
	runs        int   // runs of each side of each comparison
	small       int   // small files in the export rows
	smallSize   int64 // bytes each
	medium      int   // medium files
	mediumSize  int64
	big         int64 // the single large file
	names       int   // names in the large listing
	fewNames    int   // names in the small listing, to show memory does not grow
	checks      int   // CHECKPRESENTEXPORT round trips on a directory
	checksS3    int   // and on MinIO
	jobs        int   // -J for the concurrency rows
	listBigRuns int   // runs of the large listing (it is slow to repeat)
}

var (
	full  = scale{3, 1000, 4 << 10, 100, 1 << 20, 1 << 30, 100_000, 10_000, 20_000, 2_000, 8, 3}
	quick = scale{1, 100, 4 << 10, 10, 1 << 20, 64 << 20, 10_000, 1_000, 2_000, 200, 8, 1}
)

// bench holds what every measurement shares.
type bench struct {
	ctx   context.Context
	sc    scale
	work  string // temporary directory for everything
	root  string // the module's root
	prog  string // the real program binary
	self  string // this binary (the floor remote)
	annex string // directory holding the git-annex binary
	s3    *minioServer
	rows  []*row
	seq   int // for unique remote, bucket and directory names

	small, medium *repo // made on first use
	loadStart     string
}

func run() int {
	var (
		quickFlag = flag.Bool("quick", false, "a small smoke run: 1 run of each side, a tenth of the data (not for BENCHMARKS.md)")
		runs      = flag.Int("runs", 0, "runs of each side of each comparison (default 3, or 1 with -quick)")
		only      = flag.String("only", "", "run only the groups matching this regular expression: "+strings.Join(groupNames(), ", "))
		keep      = flag.Bool("keep", false, "keep the temporary directory")
	)
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: go run ./bench [-quick] [-runs N] [-only REGEXP] [-keep] (scripts/bench installs the tools first)")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 {
		flag.Usage()
		return 2
	}
	sc := full
	if *quickFlag {
		sc = quick
	}
	if *runs > 0 {
		sc.runs, sc.listBigRuns = *runs, *runs
	}
	filter, err := regexp.Compile(*only)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: -only: %v\n", err)
		return 2
	}
	if !matchesAny(filter) {
		// Else the report would be an empty table, and the run a success.
		fmt.Fprintf(os.Stderr, "bench: -only %q matches no group of %s\n", *only, strings.Join(groupNames(), ", "))
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	b := &bench{ctx: ctx, sc: sc}
	if err := b.setUp(*keep); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		b.tearDown(*keep)
		return 1
	}
	start := time.Now()
	failed := false
	for _, g := range groups {
		if !filter.MatchString(g.name) {
			continue
		}
		logf("== %s", g.name)
		if err := g.run(b); err != nil {
			fmt.Fprintf(os.Stderr, "bench: %s: %v\n", g.name, err)
			failed = true
			break
		}
	}
	b.report(os.Stdout, time.Since(start))
	b.tearDown(*keep)
	if failed || ctx.Err() != nil {
		return 1
	}
	return 0
}

// groups are the measurements, in the order they run.
var groups = []struct {
	name string
	run  func(*bench) error
}{
	{"export", (*bench).exportRows},
	{"jobs", (*bench).jobRows},
	{"floor", (*bench).floorRows},
	{"transfer", (*bench).transferRows},
	{"perfile", (*bench).perFileRows},
	{"list", (*bench).listRows},
	{"check", (*bench).checkRows},
	{"prepare", (*bench).prepareRows},
}

// matchesAny says whether filter selects at least one group.
func matchesAny(filter *regexp.Regexp) bool {
	for _, g := range groups {
		if filter.MatchString(g.name) {
			return true
		}
	}
	return false
}

func groupNames() []string {
	var n []string
	for _, g := range groups {
		n = append(n, g.name)
	}
	return n
}

func (b *bench) setUp(keep bool) error {
	b.loadStart = loadAverage()
	var err error
	if b.self, err = os.Executable(); err != nil {
		return err
	}
	if b.annex, err = findAnnex(); err != nil {
		return err
	}
	if b.work, err = os.MkdirTemp("", "exporttree-bench-"); err != nil {
		return err
	}
	if keep {
		logf("keeping %s", b.work)
	}
	if err := b.build(); err != nil {
		return err
	}
	if err := b.installFloor(); err != nil {
		return err
	}
	b.s3, err = startMinio(filepath.Join(b.work, "minio"))
	return err
}

func (b *bench) tearDown(keep bool) {
	if b.s3 != nil {
		b.s3.srv.Close()
	}
	if b.work != "" && !keep {
		os.RemoveAll(b.work)
	}
}

func (b *bench) report(w *os.File, took time.Duration) {
	fmt.Fprintf(w, "Produced by `%s`.\n\n", strings.Join(append([]string{"scripts/bench"}, os.Args[1:]...), " "))
	fmt.Fprintln(w, "## Machine")
	fmt.Fprintln(w)
	for _, l := range machine(b.work, b.annex, b.s3.bin, b.loadStart) {
		fmt.Fprintln(w, l)
	}
	fmt.Fprintf(w, "- scale: %d run(s) of each side; %d × %s and %d × %s files; %s single file; %d and %d names; measurements took %s\n",
		b.sc.runs, b.sc.small, formatBytes(b.sc.smallSize), b.sc.medium, formatBytes(b.sc.mediumSize),
		formatBytes(b.sc.big), b.sc.names, b.sc.fewNames, took.Round(time.Second))
	fmt.Fprintln(w)
	fmt.Fprintln(w, "## Results")
	fmt.Fprintln(w)
	writeTable(w, b.rows)
}

// next returns a fresh name with the given prefix.
func (b *bench) next(prefix string) string {
	b.seq++
	return fmt.Sprintf("%s%d", prefix, b.seq)
}

func (b *bench) add(r *row) *row {
	b.rows = append(b.rows, r)
	return r
}

// compare runs ours and the baseline sc.runs times each, alternating which
// goes first, so that a machine busy with something else slows both.
// Before each run the page cache's dirty data is written out, so that one
// run's writes are not paid for by the next.
func (b *bench) compare(r *row, runs int, ours, base func() (sample, error)) error {
	sides := []struct {
		name string
		f    func() (sample, error)
		into *[]sample
	}{{"ours", ours, &r.oursRuns}, {"baseline", base, &r.baseRuns}}
	if r.warmUp {
		// One untimed run each: the first pass over a large file pays
		// for the page cache and the disk settling, whichever side it is.
		for _, side := range sides {
			syscall.Sync()
			if _, err := side.f(); err != nil {
				r.failed = fmt.Sprintf("%s, warm-up: %v", side.name, tail([]byte(err.Error()), 400))
				return fmt.Errorf("%s, %s (warm-up): %w", r.name, side.name, err)
			}
		}
	}
	for i := range runs {
		for j := range sides {
			side := sides[(i+j)%2]
			if err := b.ctx.Err(); err != nil {
				r.failed = fmt.Sprintf("stopped before %s, run %d: %v", side.name, i+1, err)
				return err
			}
			syscall.Sync()
			s, err := side.f()
			if err != nil {
				r.failed = fmt.Sprintf("%s, run %d: %v", side.name, i+1, tail([]byte(err.Error()), 400))
				return fmt.Errorf("%s, %s: %w", r.name, side.name, err)
			}
			*side.into = append(*side.into, s)
		}
	}
	logf("   %s: %s vs %s (%.2f×)", r.name, r.format(median(r.oursRuns)), r.format(median(r.baseRuns)), r.ratio())
	return nil
}

// timed runs f and returns its wall-clock time as a sample.
func timed(f func() error) (sample, error) {
	start := time.Now()
	err := f()
	return sample{value: time.Since(start).Seconds()}, err
}

// timedSelf is timed, with this process's CPU time over the run as the
// sample's CPU: for work done in this process, which is otherwise idle.
func timedSelf(f func() error) (sample, error) {
	var before, after syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	s, err := timed(f)
	syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	s.cpu = time.Duration(after.Utime.Nano() + after.Stime.Nano() - before.Utime.Nano() - before.Stime.Nano()).Seconds()
	return s, err
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench %s: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// rssLimit is the bound on the program's peak RSS, whatever the
// file size or listing size.
const rssLimit = 64 << 20

// unit says what a row's values are.
type unit int

const (
	seconds unit = iota // wall-clock time of one run
	memory              // a memory size, in bytes
)

// sample is one run of one side of a comparison.
type sample struct {
	value float64 // in the row's unit
	rss   int64   // the program's peak RSS in bytes; 0 when not measured
	procs int     // program processes the run started (git-annex rows)
	cpu   float64 // the program's CPU time in seconds, user and system; 0 when not measured

	linesTo, linesFrom int // protocol lines to and from the program (protocol rows)

	// treeCPU is the CPU time of a git command and all it waited for
	// (git-annex, the remotes, git); 0 when not measured.
	treeCPU float64
}

// row is one comparison: ours against a named baseline, on the same data,
// in the same run of the benchmark.
type row struct {
	name     string // what is measured
	ours     string // what "ours" ran
	baseline string // what it is compared with
	unit     unit
	perOp    int // show time per operation over this many (0: per run)
	opName   string
	bytes    int64 // content moved per run, to show throughput

	maxRatio   float64 // target: ours/baseline at most this (0: none)
	maxDiff    float64 // target: (ours-baseline)/perOp at most this many seconds (0: none)
	targetText string  // the target in the words
	checkRSS   bool    // the program's peak RSS must stay under rssLimit
	warmUp     bool    // run each side once, untimed, before the runs

	oursRuns, baseRuns []sample
	failed             string // why the runs stopped, when they did
}

func median(s []sample) float64 {
	v := make([]float64, len(s))
	for i, x := range s {
		v[i] = x.value
	}
	slices.Sort(v)
	if len(v) == 0 {
		return math.NaN()
	}
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func medianCPU(s []sample) float64 {
	c := make([]sample, len(s))
	for i, x := range s {
		c[i].value = x.cpu
	}
	return median(c)
}

func medianTreeCPU(s []sample) float64 {
	c := make([]sample, len(s))
	for i, x := range s {
		c[i].value = x.treeCPU
	}
	return median(c)
}

func peakRSS(s []sample) int64 {
	var m int64
	for _, x := range s {
		m = max(m, x.rss)
	}
	return m
}

func (r *row) ratio() float64 { return median(r.oursRuns) / median(r.baseRuns) }

// diffPerOp is what ours costs over the baseline per operation, in seconds.
func (r *row) diffPerOp() float64 {
	return (median(r.oursRuns) - median(r.baseRuns)) / float64(max(r.perOp, 1))
}

// met says whether the row meets its targets, and if not, which it misses.
func (r *row) met() string {
	if r.failed != "" {
		return "**failed** (see below)"
	}
	var missed []string
	if r.maxRatio > 0 && !(r.ratio() <= r.maxRatio) {
		missed = append(missed, "ratio")
	}
	if r.maxDiff > 0 && !(r.diffPerOp() <= r.maxDiff) {
		missed = append(missed, "cost")
	}
	if r.checkRSS && peakRSS(r.oursRuns) >= rssLimit {
		missed = append(missed, "RSS")
	}
	switch {
	case len(missed) > 0:
		return "**missed: " + strings.Join(missed, ", ") + "**"
	case r.maxRatio > 0 || r.maxDiff > 0 || r.checkRSS:
		return "met"
	}
	return "—"
}

// ratioText shows the ratio with two decimals, or as many more as it takes
// for the figure to fall on the same side of the target as the ratio: a
// ratio of 1.105 against ≤ 1.1× reads 1.105×, not 1.10× beside "missed".
func (r *row) ratioText() string {
	v := r.ratio()
	for prec := 2; ; prec++ {
		s := fmt.Sprintf("%.*f", prec, v)
		shown, err := strconv.ParseFloat(s, 64)
		if r.maxRatio <= 0 || prec == 6 || err != nil || (shown <= r.maxRatio) == (v <= r.maxRatio) {
			return s + "×"
		}
	}
}

// format shows a median in the row's unit: per operation when the row has
// operations, with throughput when it moves content.
func (r *row) format(v float64) string {
	if r.unit == memory {
		return formatBytes(int64(v))
	}
	s := formatDuration(v)
	if r.perOp > 0 {
		per := v / float64(r.perOp)
		s = fmt.Sprintf("%s/%s (%s total, %s/s)", formatDuration(per), r.opName, s, formatRate(1/per))
	}
	// Throughput says nothing about small files: their time is per file.
	if r.bytes > 0 && v > 0 && (r.perOp == 0 || r.bytes/int64(r.perOp) >= 1<<20) {
		s += fmt.Sprintf(" (%.0f MiB/s)", float64(r.bytes)/(1<<20)/v)
	}
	return s
}

func (r *row) target() string {
	var t []string
	if r.targetText != "" {
		t = append(t, r.targetText)
	}
	if r.checkRSS {
		t = append(t, "RSS < 64 MiB")
	}
	if len(t) == 0 {
		return "—"
	}
	return strings.Join(t, "; ")
}

func formatDuration(s float64) string {
	switch {
	case s >= 1:
		return fmt.Sprintf("%.2f s", s)
	case s >= 1e-3:
		return fmt.Sprintf("%.3g ms", s*1e3)
	}
	return fmt.Sprintf("%.3g µs", s*1e6)
}

func formatRate(perSecond float64) string {
	if perSecond >= 1000 {
		return fmt.Sprintf("%.1fk", perSecond/1000)
	}
	return fmt.Sprintf("%.0f", perSecond)
}

func formatBytes(n int64) string {
	switch {
	case n <= 0:
		return "—"
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n < 1<<20:
		return fmt.Sprintf("%.3g KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// writeTable prints the rows as a Markdown table, then every run's values
// so that noise can be judged.
func writeTable(w io.Writer, rows []*row) {
	fmt.Fprintln(w, "| # | measurement | ours | baseline | ours (median) | baseline (median) | ours / baseline | target | ours: peak RSS | result |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|")
	for i, r := range rows {
		ratio := r.ratioText()
		if d := r.diffPerOp(); r.perOp > 0 && r.unit == seconds {
			sign := "+"
			if d < 0 {
				sign = "−"
			}
			ratio += fmt.Sprintf(" (%s%s/%s)", sign, formatDuration(math.Abs(d)), r.opName)
		}
		fmt.Fprintf(w, "| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", i+1, r.name, r.ours, r.baseline,
			r.format(median(r.oursRuns)), r.format(median(r.baseRuns)), ratio, r.target(),
			formatBytes(peakRSS(r.oursRuns)), r.met())
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Every run (ours | baseline). CPU is the program's own user and system time (all its processes: git-annex")
	fmt.Fprintln(w, "starts it several times per export), or this process's for work done in it. Over the protocol, the lines")
	fmt.Fprintln(w, "exchanged per operation are counted.")
	fmt.Fprintln(w)
	for i, r := range rows {
		fmt.Fprintf(w, "%d. %s | %s", i+1, runValues(r, r.oursRuns), runValues(r, r.baseRuns))
		if n := r.oursRuns; len(n) > 0 && n[0].procs > 0 {
			fmt.Fprintf(w, "; program processes %d", n[0].procs)
		}
		for _, side := range []struct {
			name string
			runs []sample
		}{{"ours", r.oursRuns}, {"baseline", r.baseRuns}} {
			if cpu := medianCPU(side.runs); cpu > 0 {
				if r.perOp > 0 {
					fmt.Fprintf(w, "; %s CPU %s/%s", side.name, formatDuration(cpu/float64(r.perOp)), r.opName)
				} else {
					fmt.Fprintf(w, "; %s CPU %s", side.name, formatDuration(cpu))
				}
			}
		}
		if ours, base := medianTreeCPU(r.oursRuns), medianTreeCPU(r.baseRuns); ours > 0 && base > 0 {
			per := float64(max(r.perOp, 1))
			fmt.Fprintf(w, "; CPU of git-annex with its remote (all the command ran): %s | %s per %s",
				formatDuration(ours/per), formatDuration(base/per), r.opName)
		}
		if n := r.oursRuns; len(n) > 0 && n[0].linesTo > 0 {
			per, unit := float64(max(r.perOp, 1)), "run"
			if r.perOp > 0 {
				unit = r.opName
			}
			fmt.Fprintf(w, "; protocol lines per %s: %.3g to the program, %.3g from it", unit,
				float64(n[0].linesTo)/per, float64(n[0].linesFrom)/per)
		}
		if r.failed != "" {
			fmt.Fprintf(w, "; **failed**: %s", strings.ReplaceAll(r.failed, "\n", " "))
		}
		fmt.Fprintln(w)
	}
}

func runValues(r *row, s []sample) string {
	v := make([]string, len(s))
	for i, x := range s {
		if r.unit == memory {
			v[i] = formatBytes(int64(x.value))
		} else {
			v[i] = formatDuration(x.value)
		}
	}
	return strings.Join(v, ", ")
}

package testscript_test

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/exporttree/git-annex-remote-exporttree/backends/directory"
	"github.com/exporttree/git-annex-remote-exporttree/backends/s3"
)

// The crash test's plans: the contents it stores, the requests it sends,
// and where it kills.

// crashContent is one content a store may send.
type crashContent struct {
	size      int
	key, file string
}

// crashPool is every content the test stores; each is distinct, so a name
// holding bytes of none of them holds a partial or mixed content.
type crashPool struct {
	contents []crashContent
	byHash   map[digest]int
	big      int // contents from this index on are large (multipart on S3)
}

// crashSizes: empty to three 5 MiB parts, and the odd sizes that end a
// part or a copy chunk early.
var crashSizes = []int{0, 1, 17, 100, 1000, 4096, 10000, 65536, 100003, 300000,
	1<<20 + 3, 5<<20 + 1, 8 << 20, 11<<20 + 5}

func newCrashPool(t *testing.T, seed uint64) *crashPool {
	var s [32]byte
	binary.LittleEndian.PutUint64(s[:], seed)
	src := rand.NewChaCha8(s)
	dir := t.TempDir()
	p := &crashPool{byHash: map[digest]int{}, big: len(crashSizes) - 3}
	for i, size := range crashSizes {
		data := make([]byte, size)
		src.Read(data)
		c := crashContent{size: size, key: annexKey(data), file: filepath.Join(dir, strconv.Itoa(i))}
		if err := os.WriteFile(c.file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		p.byHash[digestOf(data)] = i
		p.contents = append(p.contents, c)
	}
	return p
}

// holds reports whether d is the digest of content i.
func (p *crashPool) holds(d digest, i int) bool {
	j, ok := p.byHash[d]
	return ok && j == i
}

// annexKey is data's key, as git-annex's SHA256E backend names it.
func annexKey(data []byte) string {
	return fmt.Sprintf("SHA256E-s%d--%x", len(data), sha256.Sum256(data))
}

func (p *crashPool) describe(i int) string {
	if i < 0 {
		return "nothing"
	}
	return fmt.Sprintf("content #%d (%d bytes)", i, p.contents[i].size)
}

// crashOp is one request, as git-annex sends it.
type crashOp struct {
	kind     string // prepare, store, rename, remove
	name, to string
	c        int // store: what is stored; rename, remove: the key's content
}

func (op crashOp) lines(p *crashPool) []string {
	switch op.kind {
	case "prepare":
		return []string{"PREPARE"}
	case "store":
		c := p.contents[op.c]
		return []string{"EXPORT " + op.name, "TRANSFEREXPORT STORE " + c.key + " " + c.file}
	case "rename":
		return []string{"EXPORT " + op.name, "RENAMEEXPORT " + p.contents[op.c].key + " " + op.to}
	default:
		return []string{"EXPORT " + op.name, "REMOVEEXPORT " + p.contents[op.c].key}
	}
}

func (op crashOp) success(p *crashPool) string {
	switch op.kind {
	case "prepare":
		return "PREPARE-SUCCESS"
	case "store":
		return "TRANSFER-SUCCESS STORE " + p.contents[op.c].key
	case "rename":
		return "RENAMEEXPORT-SUCCESS " + p.contents[op.c].key
	default:
		return "REMOVE-SUCCESS " + p.contents[op.c].key
	}
}

// apply makes op's change to state (name -> content index).
func (op crashOp) apply(state map[string]int) {
	switch op.kind {
	case "store":
		state[op.name] = op.c
	case "rename":
		if c, ok := state[op.name]; ok {
			delete(state, op.name)
			state[op.to] = c
		}
	case "remove":
		delete(state, op.name)
	}
}

// class groups ops of like duration, for the delays.
func (op crashOp) class(p *crashPool) string {
	if op.kind == "store" && op.c >= p.big {
		return "store-big"
	}
	return op.kind
}

func (op crashOp) String() string {
	switch op.kind {
	case "store":
		return fmt.Sprintf("store #%d as %q", op.c, op.name)
	case "rename":
		return fmt.Sprintf("rename %q (#%d) to %q", op.name, op.c, op.to)
	case "remove":
		return fmt.Sprintf("remove %q", op.name)
	}
	return op.kind
}

// crashPlan is one session: the requests, and where the kill is armed.
type crashPlan struct {
	ops     []crashOp // ops[0] is PREPARE
	at      int       // the trigger is armed as ops[at] is sent
	trigger string    // delay, stall, step, bytes, request, answer
	delay   time.Duration
	stall   int64
	step    string // directory.Step*
	proxy   proxyPlan
	guard   bool
}

func (pl crashPlan) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "guardexport=%v, trigger %s at request %d", pl.guard, pl.trigger, pl.at)
	switch pl.trigger {
	case "delay":
		fmt.Fprintf(&b, " after %v", pl.delay)
	case "stall":
		fmt.Fprintf(&b, " after %d bytes", pl.stall)
	case "step":
		fmt.Fprintf(&b, " at step %s", pl.step)
	default:
		fmt.Fprintf(&b, " %+v", pl.proxy)
	}
	for i, op := range pl.ops {
		fmt.Fprintf(&b, "\n  %d: %v", i, op)
	}
	return b.String()
}

// byProxy reports whether the plan's kill comes from the killProxy.
func (pl crashPlan) byProxy() bool {
	return slices.Contains([]string{"bytes", "request", "answer"}, pl.trigger)
}

// plan draws the next session.
func (r *crashRun) plan() crashPlan {
	rng := r.rng
	pl := crashPlan{ops: []crashOp{{kind: "prepare"}}, guard: rng.IntN(4) != 0}
	pl.trigger = r.st.triggers[rng.IntN(len(r.st.triggers))]
	if pl.trigger == "step" {
		r.planStep(&pl)
		return pl
	}
	sim := maps.Clone(r.state)
	pre := rng.IntN(4)
	switch pl.trigger {
	case "stall", "bytes":
		// The kill lands in a store; the stall would stop any store
		// before it, so only renames and removes go first.
		for range pre {
			if op, ok := r.randomOp(sim, false); ok {
				op.apply(sim)
				pl.ops = append(pl.ops, op)
			}
		}
		pl.at = len(pl.ops)
		c := r.randomContent(true)
		pl.ops = append(pl.ops, crashOp{kind: "store", name: trickyNames[rng.IntN(len(trickyNames))], c: c})
		size := int64(r.pool.contents[c].size)
		pl.stall = rng.Int64N(size + 1)
		pl.proxy.bytes = 1 + rng.Int64N(max(size, 1))
		return pl
	}
	for range pre + 1 + rng.IntN(2) {
		op, _ := r.randomOp(sim, true)
		op.apply(sim)
		pl.ops = append(pl.ops, op)
	}
	pl.at = rng.IntN(len(pl.ops))
	switch pl.trigger {
	case "delay":
		est := r.est[pl.ops[pl.at].class(r.pool)]
		if est == 0 {
			est = 5 * time.Millisecond
		}
		pl.delay = time.Duration(rng.Int64N(int64(est)*13/10 + 1))
	case "request", "answer":
		pl.proxy = proxyPlan{request: 1 + rng.IntN(8), afterAnswer: pl.trigger == "answer"}
	}
	return pl
}

// dirSteps are the directory backend's steps a session may stop the
// program at, to kill it there.
var dirSteps = []string{directory.StepStored, directory.StepAside, directory.StepSpent,
	directory.StepReplaced, directory.StepCommitted}

// planStep completes pl with a request that reaches a step drawn from the
// storage's, where the program is to stop and be killed.
func (r *crashRun) planStep(pl *crashPlan) {
	pl.step = r.st.steps[r.rng.IntN(len(r.st.steps))]
	if pl.step == s3.StepCopied {
		r.planCopied(pl)
		return
	}
	r.planDirStep(pl)
}

// planCopied completes pl with a rename, after a store when nothing is
// stored: a store never reaches s3.StepCopied.
func (r *crashRun) planCopied(pl *crashPlan) {
	sim := maps.Clone(r.state)
	if len(presentNames(sim)) == 0 {
		store := crashOp{kind: "store", name: r.otherName(""), c: r.randomContent(false)}
		store.apply(sim)
		pl.ops = append(pl.ops, store)
	}
	present := presentNames(sim)
	from := present[r.rng.IntN(len(present))]
	pl.at = len(pl.ops)
	pl.ops = append(pl.ops, crashOp{kind: "rename", name: from, to: r.otherName(from), c: sim[from]})
}

// planDirStep completes pl with a request that reaches pl.step of the
// directory backend. That request follows PREPARE at once: an earlier one
// could reach the step first. Only a guarded request moves files aside,
// and only one that replaces a file spends and replaces it.
func (r *crashRun) planDirStep(pl *crashPlan) {
	rng := r.rng
	pl.at = 1
	present := presentNames(r.state)
	store := crashOp{kind: "store", name: r.otherName(""), c: r.randomContent(false)}
	if len(present) == 0 || pl.step == directory.StepStored || pl.step == directory.StepCommitted {
		if len(present) == 0 {
			pl.step = []string{directory.StepStored, directory.StepCommitted}[rng.IntN(2)]
		}
		pl.ops = append(pl.ops, store)
		return
	}
	pl.guard = true
	from := present[rng.IntN(len(present))]
	store.name = from
	rename := crashOp{kind: "rename", name: from, to: r.otherName(from), c: r.state[from]}
	ops := []crashOp{store, rename, {kind: "remove", name: from, c: r.state[from]}}
	if pl.step != directory.StepAside {
		// Spent and replaced: a file must be replaced.
		ops = ops[:1]
		if len(present) > 1 {
			for !slices.Contains(present, rename.to) {
				rename.to = r.otherName(from)
			}
			ops = append(ops, rename)
		}
	}
	pl.ops = append(pl.ops, ops[rng.IntN(len(ops))])
}

// otherName draws a name other than not.
func (r *crashRun) otherName(not string) string {
	for {
		if name := trickyNames[r.rng.IntN(len(trickyNames))]; name != not {
			return name
		}
	}
}

// presentNames lists the names state holds, in trickyNames' order.
func presentNames(state map[string]int) []string {
	var present []string
	for _, name := range trickyNames {
		if _, ok := state[name]; ok {
			present = append(present, name)
		}
	}
	return present
}

// randomOp draws a request against state: a store (when stores is set),
// a rename or a remove of a stored name.
func (r *crashRun) randomOp(state map[string]int, stores bool) (crashOp, bool) {
	rng := r.rng
	present := presentNames(state)
	other := trickyNames[rng.IntN(len(trickyNames))]
	x := rng.IntN(10)
	switch {
	case (x < 5 || len(present) == 0) && stores:
		return crashOp{kind: "store", name: other, c: r.randomContent(false)}, true
	case len(present) == 0:
		return crashOp{}, false
	case x < 8:
		from := present[rng.IntN(len(present))]
		for other == from {
			other = trickyNames[rng.IntN(len(trickyNames))]
		}
		return crashOp{kind: "rename", name: from, to: other, c: state[from]}, true
	}
	name := present[rng.IntN(len(present))]
	if rng.IntN(5) == 0 {
		name = other // git-annex removes what may not be there
	}
	c, ok := state[name]
	if !ok {
		c = r.randomContent(false)
	}
	return crashOp{kind: "remove", name: name, c: c}, true
}

// randomContent draws a content: one in ten large, and with large set,
// one in three.
func (r *crashRun) randomContent(large bool) int {
	big := r.pool.big
	if r.rng.IntN(10) == 0 || large && r.rng.IntN(3) == 0 {
		return big + r.rng.IntN(len(r.pool.contents)-big)
	}
	return r.rng.IntN(big)
}

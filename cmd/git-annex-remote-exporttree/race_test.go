package main

// The race test of guarded export: another program modifies, replaces and
// creates files at the same names while the program stores, removes and
// renames them, on every kind of storage. Every write of the other program
// must survive until that program itself changes the name again; export may
// only ever replace or remove content it stored.
//
// A few races no storage lets export close. A write lost to one of them is
// counted and reported, not failed, and only when export was acting on that
// very name, in that very way, while the write was under way:
//   - directory: a write through a descriptor opened before export moved
//     the file away lands in the moved file (the race of every checkout);
//   - versioned S3: a write landing between export's last check and the
//     delete marker that hides an older version is hidden; and an upload
//     still in flight when export's conditional store checked (and passed:
//     the upload was not visible yet) ends up below export's version,
//     because versions are ordered by when their requests started. Either
//     stays readable by its version ID, which the test checks;
//   - unversioned S3: S3 has no conditional DELETE, so a write landing in
//     the round trip between export's check and its DELETE is deleted.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
)

const raceOps = 1000

// otherProgram is the concurrent writer. last[name] is what it wrote last
// at name, zero when it has not written there since it last looked.
type otherProgram struct {
	t    *testing.T
	st   *testStorage
	rng  *rand.Rand
	last map[string]otherWrite

	writes, checks, movedWhileOpen int
	missing                        []missingWrite

	mu      sync.Mutex // guards seq and exports
	seq     int
	exports []exportOp // export's successful operations
}

// otherWrite is one write of the other program: its content, its number,
// the S3 version it made, and whether that version was overtaken at once
// (see overtakenAtOnce).
type otherWrite struct {
	token     string
	seq       int
	version   string
	overtaken bool
}

// missingWrite is a write the other program found gone.
type missingWrite struct {
	name    string
	w       otherWrite
	got     string
	present bool
}

// exportOp is successful operation number i of export's. It ran while
// the other program made writes start to end. removed is the name whose
// content it removed (a removal's, a rename's source), wrote the name it
// stored content at (a store's, a rename's destination), if any.
type exportOp struct {
	i              int
	desc           string
	removed, wrote string
	start, end     int
}

// look checks that name still holds what the other program wrote last.
func (o *otherProgram) look(name string) {
	w := o.last[name]
	if w.token == "" {
		return
	}
	o.checks++
	if got, ok := o.st.read(name, ""); !ok || got != w.token {
		o.missing = append(o.missing, missingWrite{name, w, got, ok})
	}
}

func (o *otherProgram) now() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.seq
}

// record notes op, which started when the other program was at write
// op.start and has just succeeded.
func (o *otherProgram) record(op exportOp) {
	o.mu.Lock()
	defer o.mu.Unlock()
	op.end = o.seq
	o.exports = append(o.exports, op)
}

func (o *otherProgram) next() (int, string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.seq++
	return o.seq, fmt.Sprintf("other program's write %d\n", o.seq)
}

// step makes one change at a random name.
func (o *otherProgram) step(names []string) {
	name := names[o.rng.IntN(len(names))]
	o.look(name)
	seq, token := o.next()
	var version string
	var wrote bool
	if o.st.kind.s3 {
		version, wrote = o.changeObject(name, token)
	} else {
		wrote = o.changeFile(name, token)
	}
	o.last[name] = otherWrite{}
	if wrote {
		o.writes++
		w := otherWrite{token: token, seq: seq, version: version}
		if o.st.kind.versioned {
			w.overtaken = o.overtakenAtOnce(name, version, time.Now())
		}
		o.last[name] = w
	}
}

// changeFile modifies the file at name in place, replaces it through a
// rename, creates it, or removes it (as a person moving it away would).
func (o *otherProgram) changeFile(name, token string) (wrote bool) {
	p := filepath.Join(o.st.dir, name)
	switch o.rng.IntN(4) {
	case 0: // modify in place, as an editor that rewrites the file does
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			return false // nothing there to modify
		}
		_, werr := f.WriteString(token)
		var mine syscall.Stat_t
		syscall.Fstat(int(f.Fd()), &mine)
		f.Close()
		if werr != nil {
			o.t.Error(werr)
			return false
		}
		// A write through a descriptor opened before export moved the file
		// away lands in the moved file: the accepted race of every
		// checkout (see README). Count it, do not track it.
		var now syscall.Stat_t
		if err := syscall.Lstat(p, &now); err != nil || now.Ino != mine.Ino {
			o.movedWhileOpen++
			return false
		}
		return true
	case 1: // replace: write elsewhere, rename over
		tmp := filepath.Join(o.st.dir, "other-tmp")
		if err := os.WriteFile(tmp, []byte(token), 0o644); err != nil {
			o.t.Error(err)
			return false
		}
		if err := os.Rename(tmp, p); err != nil {
			o.t.Error(err)
			return false
		}
		return true
	case 2: // create, only where nothing is
		_, created := o.st.create(name, token)
		return created
	default:
		o.st.remove(name)
		return false
	}
}

// changeObject overwrites the object at name, creates it only where nothing
// is, or deletes it: the three writes S3 offers.
func (o *otherProgram) changeObject(name, token string) (version string, wrote bool) {
	switch o.rng.IntN(3) {
	case 0:
		return o.st.put(name, token), true
	case 1:
		return o.st.create(name, token)
	default:
		o.st.remove(name)
		return "", false
	}
}

// The races a lost write may be excused by (see the top of this file).
const (
	raceMoved     = "written into a file moved while open"
	raceHidden    = "hidden by a delete marker"
	raceOvertaken = "overtaken by a store that started later"
	raceDeleted   = "deleted in the round trip of S3's unconditional DELETE"
)

// losses sorts the missing writes into those lost and those excused,
// counted by race.
func (o *otherProgram) losses() (lost []string, excused map[string]int) {
	excused = map[string]int{}
	if o.movedWhileOpen > 0 {
		excused[raceMoved] = o.movedWhileOpen
	}
	for _, m := range o.missing {
		if race := o.excuse(m); race != "" {
			excused[race]++
			continue
		}
		lost = append(lost, fmt.Sprintf("%s: wrote %q (write %d), found %q (present: %v)",
			m.name, m.w.token, m.w.seq, m.got, m.present))
	}
	return lost, excused
}

// excuse returns the race m was lost to, or "". Since the loss, only
// export has acted at the name (the other program looks before it writes
// there again), so what is found may also be what export did later.
func (o *otherProgram) excuse(m missingWrite) string {
	if !o.st.kind.s3 || m.present && !strings.HasPrefix(m.got, "exported content ") {
		return ""
	}
	removedThere := o.during(m.w.seq, func(op exportOp) bool { return op.removed == m.name })
	if !o.st.kind.versioned {
		if removedThere {
			return raceDeleted
		}
		return ""
	}
	if got, ok := o.st.read(m.name, m.w.version); !ok || got != m.w.token {
		return "" // gone for good
	}
	switch {
	case removedThere:
		return raceHidden
	case m.w.overtaken && o.during(m.w.seq, func(op exportOp) bool { return op.wrote == m.name }):
		return raceOvertaken
	}
	return ""
}

// overtakenAtOnce reports whether version, which the server answered by
// done, sits below a version made by a request that started before done:
// the server checked that request's condition before version became
// visible, and orders versions by when their requests started. (A store
// that ignored its condition would, mostly, start later.) It looks at
// once, before export can have removed that version again; both times
// come from this machine's clock.
func (o *otherProgram) overtakenAtOnce(name, version string, done time.Time) bool {
	var above []minio.ObjectInfo
	for v := range o.st.client.ListObjectsIter(context.Background(), o.st.bucket, minio.ListObjectsOptions{
		Prefix: name, WithVersions: true,
	}) {
		if v.Err != nil {
			o.t.Error(v.Err)
			return false
		}
		if v.Key != name {
			continue
		}
		if v.VersionID == version {
			for _, v := range above {
				if !v.IsDeleteMarker && !v.LastModified.After(done) {
					return true
				}
			}
			return false
		}
		above = append(above, v)
	}
	return false
}

// during reports whether an operation of export's for which is is true ran
// while the other program's write seq was under way. That program writes
// one at a time: write seq runs after write seq-1 ended.
func (o *otherProgram) during(seq int, is func(exportOp) bool) bool {
	for _, op := range o.exports {
		if is(op) && op.start <= seq && seq <= op.end {
			return true
		}
	}
	return false
}

func (o *otherProgram) diagnosis() string {
	var b strings.Builder
	for _, op := range o.exports {
		fmt.Fprintf(&b, "%s (during writes %d-%d)\n", op.desc, op.start, op.end)
	}
	return b.String()
}

func TestGuardedExportRace(t *testing.T) {
	forEachStorage(t, func(t *testing.T, st *testStorage) {
		other := raceGuardedExport(t, st, nil)
		lost, _ := other.losses()
		if len(lost) > 0 {
			t.Fatalf("%d writes of the other program were lost:\n%s\nexport's successful operations:\n%s",
				len(lost), strings.Join(lost, "\n"), other.diagnosis())
		}
	})
}

// Without the guard, the same race loses the other program's writes: the
// test above can fail.
func TestUnguardedExportLosesWrites(t *testing.T) {
	forEachStorage(t, func(t *testing.T, st *testStorage) {
		other := raceGuardedExport(t, st, map[string]string{"guardexport": "no"})
		if lost, _ := other.losses(); len(lost) == 0 {
			t.Fatal("no write was lost without the guard: the race test cannot tell")
		}
	})
}

// raceGuardedExport runs raceOps export operations against the other
// program's writes to the same names, and returns that program.
func raceGuardedExport(t *testing.T, st *testStorage, config map[string]string) *otherProgram {
	local := t.TempDir()
	names := []string{"a", "b", "c", "d", "e", "f"}
	s := st.startSession(config)
	rng := rand.New(rand.NewPCG(1, 2))
	other := &otherProgram{t: t, st: st, rng: rand.New(rand.NewPCG(3, 4)), last: map[string]otherWrite{}}

	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
				other.step(names)
				// Let export act between the other program's writes,
				// so that both happen to the same names.
				time.Sleep(time.Duration(other.rng.IntN(400)) * time.Microsecond)
			}
		}
	}()

	var stored, removed, renamed, refused int
	var lastRefusal string
	for i := 0; i < raceOps; i++ {
		name := names[rng.IntN(len(names))]
		content := fmt.Sprintf("exported content %d\n", i)
		key := fmt.Sprintf("SHA256E-s%d--export%d", len(content), i)
		start := other.now()
		switch op := rng.IntN(5); {
		case op < 3:
			src := filepath.Join(local, "src")
			writeFile(t, src, content)
			s.send("EXPORT " + name)
			s.send("TRANSFEREXPORT STORE " + key + " " + src)
			if reply := s.next(); strings.HasPrefix(reply, "TRANSFER-SUCCESS") {
				stored++
				other.record(exportOp{i: i, desc: fmt.Sprintf("store %d at %s", i, name), wrote: name, start: start})
			} else {
				refused++
				lastRefusal = reply
			}
		case op == 3:
			s.send("EXPORT " + name)
			s.send("REMOVEEXPORT " + key)
			if reply := s.next(); strings.HasPrefix(reply, "REMOVE-SUCCESS") {
				removed++
				other.record(exportOp{i: i, desc: fmt.Sprintf("remove %s (%d)", name, i), removed: name, start: start})
			} else {
				refused++
			}
		default:
			to := names[rng.IntN(len(names))]
			s.send("EXPORT " + name)
			s.send("RENAMEEXPORT " + key + " " + to)
			if reply := s.next(); strings.HasPrefix(reply, "RENAMEEXPORT-SUCCESS") {
				renamed++
				op := exportOp{i: i, desc: fmt.Sprintf("rename %s to %s (%d)", name, to, i), start: start}
				if to != name { // else nothing moves
					op.removed, op.wrote = name, to
				}
				other.record(op)
			} else {
				refused++
			}
		}
	}
	close(stop)
	wg.Wait()
	for _, name := range names {
		other.look(name)
	}
	lost, excused := other.losses()
	t.Logf("export: %d stores, %d removes, %d renames done, %d refused; other program: %d writes, %d checked, %d lost, excused: %v",
		stored, removed, renamed, refused, other.writes, other.checks, len(lost), excused)
	if other.checks < raceOps/10 || stored == 0 || refused == 0 {
		t.Fatalf("the race did not happen: %d checks, %d stores, %d refusals (last: %s)", other.checks, stored, refused, lastRefusal)
	}
	return other
}

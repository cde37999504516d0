package protocol

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestTranscripts replays the git-annex side ("<-" lines) of real sessions
// against a remote that repeats the probe remote's behaviour (its queries
// and its answers) and checks that Serve writes the same lines the probe
// did, job by job. Where this package deliberately differs from the probe
// (VERSION 2, the EXTENSIONS answer, names with a newline, the probe's
// deliberate mistakes in import: listed names git-annex mishandles, entries
// without an identifier, IMPORTABLECONTENTS-SUCCESS, IMPORTKEY-SKIP and a
// key that is not a key) the expectation is adjusted in buildReplay.
func TestTranscripts(t *testing.T) {
	files, err := filepath.Glob("testdata/transcripts/*/*.log")
	if err != nil || len(files) == 0 {
		t.Fatalf("no transcripts: %v", err)
	}
	for _, file := range files {
		sessions := readTranscript(t, file)
		for _, pid := range sessions.order {
			name := strings.TrimSuffix(filepath.Base(filepath.Dir(file))+"/"+filepath.Base(file), ".log") + "/" + pid
			t.Run(name, func(t *testing.T) {
				replaySession(t, sessions.lines[pid])
			})
		}
	}
}

type tline struct {
	in   bool // from git-annex
	text string
}

type transcript struct {
	order []string
	lines map[string][]tline
}

// readTranscript splits a log into sessions by process id.
func readTranscript(t *testing.T, file string) transcript {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	tr := transcript{lines: make(map[string][]tline)}
	for _, l := range strings.Split(string(data), "\n") {
		pid, rest, ok := strings.Cut(l, " ")
		if !ok || pid == "" || strings.Trim(pid, "0123456789") != "" {
			continue
		}
		var tl tline
		switch {
		case strings.HasPrefix(rest, "<- "):
			tl = tline{in: true, text: rest[3:]}
		case strings.HasPrefix(rest, "-> "):
			tl = tline{text: rest[3:]}
		default:
			continue
		}
		if _, seen := tr.lines[pid]; !seen {
			tr.order = append(tr.order, pid)
		}
		tr.lines[pid] = append(tr.lines[pid], tl)
	}
	return tr
}

// exchange is one request of a transcript and what the probe did for it.
type exchange struct {
	request string   // the request line, without "J n"
	name    string   // the EXPORT name before it
	out     []string // the probe's lines while handling it, without "J n"
	answers []string // git-annex's answers to the probe's queries
	used    bool
}

type replaySpec struct {
	input     string
	offer     string
	async     bool
	importKey bool // the probe accepted IMPORTKEY
	exchanges []*exchange
	want      map[string][]string // job → expected lines, "J n" kept
}

func buildReplay(lines []tline) replaySpec {
	sp := replaySpec{want: make(map[string][]string)}
	for _, l := range lines {
		if strings.HasPrefix(l.text, "EXTENSIONS") {
			if l.in && sp.offer == "" {
				sp.offer = strings.TrimPrefix(strings.TrimPrefix(l.text, "EXTENSIONS"), " ")
			}
			if !l.in {
				sp.async = slices.Contains(strings.Fields(l.text), "ASYNC")
				sp.importKey = slices.Contains(strings.Fields(l.text), "IMPORTKEY")
			}
		}
	}
	type pendingExport struct {
		name    string
		newline bool
	}
	pending := map[string]*pendingExport{}
	current := map[string]*exchange{}
	skipOut := map[string]bool{}         // the probe's lines replaced by ours
	dropUnsupported := map[string]bool{} // the probe answered a name's continuation
	dropIdent := map[string]bool{}       // the entry before was left out
	entryAt := map[string]int{}          // job → index in want of an entry awaiting its identifier
	var lastExport *pendingExport
	var lastExportJob string
	var in []string
	split := func(text string) (job, rest string, ok bool) {
		if !sp.async {
			return "", text, true
		}
		job, rest, ok = cutJob(text)
		return job, rest, ok
	}
	for _, l := range lines {
		if l.in {
			in = append(in, l.text)
		}
		if w := firstWord(l.text); w == "VERSION" || w == "EXTENSIONS" {
			continue
		}
		job, rest, hasJob := split(l.text)
		word := firstWord(rest)
		if !l.in {
			if skipOut[job] {
				continue
			}
			if dropUnsupported[job] && rest == "UNSUPPORTED-REQUEST" {
				// The probe's answer to the rest of a name; this
				// package reads it as part of the name instead.
				dropUnsupported[job] = false
				continue
			}
			if ex := current[job]; ex != nil {
				ex.out = append(ex.out, rest)
			}
			if i, ok := entryAt[job]; ok {
				delete(entryAt, job)
				if word != "IMPORTABLECONTENTIDENTIFIER" {
					// An entry without its identifier, which
					// git-annex drops: never sent by this package.
					sp.want[job] = slices.Delete(sp.want[job], i, i+1)
				}
			}
			if dropIdent[job] {
				dropIdent[job] = false
				if word == "IMPORTABLECONTENTIDENTIFIER" {
					continue
				}
			}
			line, keep := adjustOut(job, rest, l.text)
			if !keep {
				dropIdent[job] = true
				continue
			}
			if word == "IMPORTABLECONTENT" {
				entryAt[job] = len(sp.want[job])
			}
			sp.want[job] = append(sp.want[job], line)
			continue
		}
		_, known := specs[word]
		if lastExport != nil && ((sp.async && !hasJob) || (!sp.async && !known)) {
			lastExport.name += "\n" + l.text
			lastExport.newline = true
			dropUnsupported[lastExportJob] = true
			continue
		}
		lastExport = nil
		switch word {
		case "EXPORT", "IMPORT", "LOCATION":
			pending[job] = &pendingExport{name: strings.TrimPrefix(rest, word+" ")}
			lastExport, lastExportJob = pending[job], job
			continue
		case "VALUE", "CREDS", "ERROR":
			if ex := current[job]; ex != nil {
				ex.answers = append(ex.answers, rest)
			}
			continue
		}
		ex := &exchange{request: rest}
		skipOut[job] = false
		if p := pending[job]; p != nil {
			ex.name = p.name
			if p.newline {
				// Such a name never reaches the handler: the
				// package fails the request itself.
				sp.want[job] = append(sp.want[job], newlineReply(job, rest))
				skipOut[job] = true
			}
			delete(pending, job)
		}
		current[job] = ex
		sp.exchanges = append(sp.exchanges, ex)
	}
	for job, i := range entryAt {
		sp.want[job] = slices.Delete(sp.want[job], i, i+1)
	}
	sp.input = strings.Join(in, "\n") + "\n"
	return sp
}

// replaySkip is what the replay remote fails IMPORTKEY with where the probe
// answered IMPORTKEY-SKIP, which this package never sends.
const replaySkip = "skipped"

// adjustOut maps one line the probe sent (rest, without "J n") onto what
// this package sends instead; keep is false for an entry of a listing that
// emit refuses (the replay remote leaves it out).
func adjustOut(job, rest, line string) (string, bool) {
	word, params, _ := strings.Cut(rest, " ")
	var m message
	switch word {
	case "IMPORTABLECONTENT":
		_, name, _ := strings.Cut(params, " ")
		return line, CleanImportName(name) == nil
	case "IMPORTABLECONTENTS-SUCCESS":
		// The appendix's example word, a protocol error.
		m = listImportableContentsSuccess()
	case "IMPORTKEY-SKIP":
		m = importKeyFailure(replaySkip)
	case "IMPORTKEY-SUCCESS":
		err := checkImportKey(params)
		if err == nil {
			return line, true
		}
		m = importKeyFailure(err.Error())
	default:
		return line, true
	}
	m.job = job
	return m.String(), true
}

func newlineReply(job, request string) string {
	f := strings.Fields(request)
	var m message
	switch f[0] {
	case "CHECKPRESENTEXPORT":
		m = checkPresentFailure(f[1])
	case "TRANSFEREXPORT":
		m = transferFailure(f[1], f[2], errNewlineName)
	case "REMOVEEXPORT":
		m = removeFailure(f[1], errNewlineName)
	case "RENAMEEXPORT":
		m = renameExport(f[1], false)
	}
	m.job = job
	return m.String()
}

func replaySession(t *testing.T, lines []tline) {
	sp := buildReplay(lines)
	r := &replayRemote{t: t, exchanges: sp.exchanges}
	var remote Remote = r
	if sp.importKey {
		remote = replayKeyRemote{r}
	}
	var ticks atomic.Int64
	clock := func() time.Time { return time.Unix(ticks.Add(1), 0) } // 1 s per reading: no throttling
	var out, stderr bytes.Buffer
	opts := Options{Stderr: &stderr, DisableAsync: !sp.async}
	if err := serve(context.Background(), remote, strings.NewReader(sp.input), &out, opts, config{now: clock}); err != nil {
		t.Fatalf("Serve: %v\nstderr:\n%s", err, stderr.String())
	}
	got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")

	var accepted []string
	for _, e := range strings.Fields(sp.offer) {
		if e == "INFO" || e == "GETGITREMOTENAME" || (e == "ASYNC" && sp.async) || (e == "IMPORTKEY" && sp.importKey) {
			accepted = append(accepted, e)
		}
	}
	if len(got) < 2 || got[0] != "VERSION 2" || got[1] != "EXTENSIONS "+strings.Join(accepted, " ") {
		t.Fatalf("handshake: got %q", got[:min(2, len(got))])
	}
	byJob := make(map[string][]string)
	for _, l := range got[2:] {
		job := ""
		if sp.async {
			job, _, _ = cutJob(l)
		}
		byJob[job] = append(byJob[job], l)
	}
	for job := range mergeKeys(byJob, sp.want) {
		if g, w := byJob[job], sp.want[job]; !slices.Equal(g, w) {
			t.Errorf("job %q:\ngot:\n\t%s\nwant:\n\t%s\nstderr:\n%s", job, strings.Join(g, "\n\t"), strings.Join(w, "\n\t"), stderr.String())
		}
	}
	for _, ex := range sp.exchanges {
		word := firstWord(ex.request)
		if !ex.used && word != "EXPORTSUPPORTED" && word != "IMPORTSUPPORTED" && !strings.Contains(ex.name, "\n") {
			t.Errorf("the remote was never asked %q (name %q)", ex.request, ex.name)
		}
	}
}

func mergeKeys(a, b map[string][]string) map[string]bool {
	keys := make(map[string]bool)
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	return keys
}

// replayRemote implements every interface by replaying the probe: for each
// call it finds the transcript's matching request, makes the probe's
// queries (checking git-annex's answers arrive), and returns what makes
// Serve send the probe's reply.
type replayRemote struct {
	t         *testing.T
	mu        sync.Mutex
	exchanges []*exchange
}

func (r *replayRemote) take(request, name string) *exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ex := range r.exchanges {
		if !ex.used && ex.request == request && ex.name == name {
			ex.used = true
			return ex
		}
	}
	r.t.Errorf("unexpected call: %q (name %q)", request, name)
	return nil
}

// play replays one exchange and returns the probe's reply lines.
func (r *replayRemote) play(ctx context.Context, a *Annex, request, name string) []string {
	ex := r.take(request, name)
	if ex == nil {
		return nil
	}
	answers := ex.answers
	check := func(query, got string, err error) {
		if len(answers) == 0 {
			r.t.Errorf("%s: the transcript has no answer for %q", request, query)
			return
		}
		want := answers[0]
		answers = answers[1:]
		w, v, _ := strings.Cut(want, " ")
		switch {
		case w == "ERROR" && !errors.Is(err, ErrQueryRefused):
			r.t.Errorf("%s: %s = %q, %v; want ErrQueryRefused", request, query, got, err)
		case w != "ERROR" && (err != nil || got != v):
			r.t.Errorf("%s: %s = %q, %v; want %q", request, query, got, err, v)
		}
	}
	var replies []string
	for _, line := range ex.out {
		word, rest, _ := strings.Cut(line, " ")
		var v string
		var err error
		switch word {
		case "GETCONFIG":
			v, err = a.GetConfig(ctx, rest)
		case "GETUUID":
			v, err = a.GetUUID(ctx)
		case "GETGITDIR":
			v, err = a.GetGitDir(ctx)
		case "GETGITREMOTENAME":
			v, err = a.GetGitRemoteName(ctx)
		case "GETSTATE":
			v, err = a.GetState(ctx, rest)
		case "DIRHASH":
			v, err = a.DirHash(ctx, rest)
		case "DIRHASH-LOWER":
			v, err = a.DirHashLower(ctx, rest)
		case "GETCREDS":
			var u, p string
			u, p, err = a.GetCreds(ctx, rest)
			v = u + " " + p
		case "SETCONFIG":
			n, val, _ := strings.Cut(rest, " ")
			if err := a.SetConfig(ctx, n, val); err != nil {
				r.t.Errorf("SetConfig: %v", err)
			}
			continue
		case "DEBUG":
			a.Debug(rest)
			continue
		case "INFO":
			a.Info(rest)
			continue
		case "PROGRESS":
			n, _ := strconv.ParseInt(rest, 10, 64)
			a.Progress(n)
			continue
		default:
			replies = append(replies, line)
			continue
		}
		check(line, v, err)
	}
	return replies
}

// result turns the probe's final reply into the handler's error.
func result(replies []string) error {
	if len(replies) == 0 {
		return errors.New("no reply in the transcript")
	}
	word, rest, _ := strings.Cut(replies[len(replies)-1], " ")
	switch {
	case word == "UNSUPPORTED-REQUEST":
		return ErrUnsupported
	case strings.HasSuffix(word, "-SUCCESS"):
		return nil
	}
	skip := map[string]int{"TRANSFER-FAILURE": 2, "REMOVE-FAILURE": 1, "CHECKPRESENT-UNKNOWN": 1}[word]
	for range skip {
		_, rest, _ = strings.Cut(rest, " ")
	}
	return errors.New(rest)
}

func presence(replies []string) (bool, error) {
	if len(replies) > 0 && strings.HasPrefix(replies[len(replies)-1], "CHECKPRESENT-FAILURE ") {
		return false, nil
	}
	err := result(replies)
	return err == nil, err
}

func (r *replayRemote) InitRemote(ctx context.Context, a *Annex) error {
	return result(r.play(ctx, a, "INITREMOTE", ""))
}

func (r *replayRemote) Prepare(ctx context.Context, a *Annex) error {
	return result(r.play(ctx, a, "PREPARE", ""))
}

func (r *replayRemote) Store(ctx context.Context, a *Annex, key, file string) error {
	return result(r.play(ctx, a, "TRANSFER STORE "+key+" "+file, ""))
}

func (r *replayRemote) Retrieve(ctx context.Context, a *Annex, key, file string) error {
	return result(r.play(ctx, a, "TRANSFER RETRIEVE "+key+" "+file, ""))
}

func (r *replayRemote) CheckPresent(ctx context.Context, a *Annex, key string) (bool, error) {
	return presence(r.play(ctx, a, "CHECKPRESENT "+key, ""))
}

func (r *replayRemote) Remove(ctx context.Context, a *Annex, key string) error {
	return result(r.play(ctx, a, "REMOVE "+key, ""))
}

func (r *replayRemote) StoreExport(ctx context.Context, a *Annex, name, key, file string) error {
	return result(r.play(ctx, a, "TRANSFEREXPORT STORE "+key+" "+file, name))
}

func (r *replayRemote) RetrieveExport(ctx context.Context, a *Annex, name, key, file string) error {
	return result(r.play(ctx, a, "TRANSFEREXPORT RETRIEVE "+key+" "+file, name))
}

func (r *replayRemote) CheckPresentExport(ctx context.Context, a *Annex, name, key string) (bool, error) {
	return presence(r.play(ctx, a, "CHECKPRESENTEXPORT "+key, name))
}

func (r *replayRemote) RemoveExport(ctx context.Context, a *Annex, name, key string) error {
	return result(r.play(ctx, a, "REMOVEEXPORT "+key, name))
}

func (r *replayRemote) RemoveExportDirectory(ctx context.Context, a *Annex, dir string) error {
	return result(r.play(ctx, a, "REMOVEEXPORTDIRECTORY "+dir, ""))
}

func (r *replayRemote) RenameExport(ctx context.Context, a *Annex, name, key, newName string) error {
	return result(r.play(ctx, a, "RENAMEEXPORT "+key+" "+newName, name))
}

func (r *replayRemote) ListConfigs() []ConfigSetting {
	var out []ConfigSetting
	for _, l := range r.play(context.Background(), nil, "LISTCONFIGS", "") {
		if rest, ok := strings.CutPrefix(l, "CONFIG "); ok {
			n, d, _ := strings.Cut(rest, " ")
			out = append(out, ConfigSetting{Name: n, Description: d})
		}
	}
	return out
}

func (r *replayRemote) Info(ctx context.Context, a *Annex) ([]InfoField, error) {
	var out []InfoField
	replies := r.play(ctx, a, "GETINFO", "")
	for _, l := range replies {
		if n, ok := strings.CutPrefix(l, "INFOFIELD "); ok {
			out = append(out, InfoField{Name: n})
		} else if v, ok := strings.CutPrefix(l, "INFOVALUE "); ok && len(out) > 0 {
			out[len(out)-1].Value = v
		}
	}
	if len(replies) > 0 && replies[len(replies)-1] == "UNSUPPORTED-REQUEST" {
		return nil, ErrUnsupported
	}
	return out, nil
}

func (r *replayRemote) Cost(ctx context.Context, a *Annex) (int, error) {
	replies := r.play(ctx, a, "GETCOST", "")
	if len(replies) == 1 {
		if n, ok := strings.CutPrefix(replies[0], "COST "); ok {
			return strconv.Atoi(n)
		}
	}
	return 0, result(replies)
}

func (r *replayRemote) Availability(ctx context.Context, a *Annex) (Availability, error) {
	replies := r.play(ctx, a, "GETAVAILABILITY", "")
	if len(replies) == 1 {
		if v, ok := strings.CutPrefix(replies[0], "AVAILABILITY "); ok {
			return Availability(v), nil
		}
	}
	return "", result(replies)
}

func (r *replayRemote) WhereIs(ctx context.Context, a *Annex, key string) (string, error) {
	replies := r.play(ctx, a, "WHEREIS "+key, "")
	if len(replies) == 1 {
		if v, ok := strings.CutPrefix(replies[0], "WHEREIS-SUCCESS "); ok {
			return v, nil
		}
		if replies[0] == "WHEREIS-FAILURE" {
			return "", nil
		}
	}
	return "", result(replies)
}

func (r *replayRemote) ListImportableContents(ctx context.Context, a *Annex, emit func(int64, string, string) error) error {
	replies := r.play(ctx, a, "LISTIMPORTABLECONTENTS", "")
	for i := 0; i < len(replies); i++ {
		entry, ok := strings.CutPrefix(replies[i], "IMPORTABLECONTENT ")
		if !ok {
			continue
		}
		sizeText, name, _ := strings.Cut(entry, " ")
		size, _ := strconv.ParseInt(sizeText, 10, 64)
		cid := ""
		if i+1 < len(replies) {
			if c, ok := strings.CutPrefix(replies[i+1], "IMPORTABLECONTENTIDENTIFIER "); ok {
				cid = c
				i++
			}
		}
		clean := CleanImportName(name) == nil && cid != ""
		err := emit(size, name, cid)
		var pe *ProtocolError
		switch {
		case errors.As(err, &pe):
			// Left out, as a remote should.
			if clean {
				r.t.Errorf("emit refused %q (cid %q): %v", name, cid, err)
			}
		case err != nil:
			return err
		case !clean:
			r.t.Errorf("emit accepted %q (cid %q)", name, cid)
		}
	}
	return result(replies)
}

func (r *replayRemote) RetrieveImport(ctx context.Context, a *Annex, name, file string) error {
	return result(r.play(ctx, a, "RETRIEVEIMPORT "+file, name))
}

func (r *replayRemote) CheckPresentImport(ctx context.Context, a *Annex, name, key string) (bool, error) {
	return presence(r.play(ctx, a, "CHECKPRESENTIMPORT "+key, name))
}

// replayKeyRemote adds IMPORTKEY, for sessions where the probe accepted it.
type replayKeyRemote struct{ *replayRemote }

func (r replayKeyRemote) ImportKey(ctx context.Context, a *Annex, name string, size int64, cid string) (string, error) {
	replies := r.play(ctx, a, "IMPORTKEY "+strconv.FormatInt(size, 10)+" "+cid, name)
	if len(replies) == 1 {
		if key, ok := strings.CutPrefix(replies[0], "IMPORTKEY-SUCCESS "); ok {
			return key, nil
		}
		if replies[0] == "IMPORTKEY-SKIP" {
			return "", errors.New(replaySkip)
		}
	}
	return "", result(replies)
}

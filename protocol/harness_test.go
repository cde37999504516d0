package protocol_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/exporttree/git-annex-remote-exporttree/protocol"
)

// hangGuard bounds every wait on the remote. It only turns a hang into a
// failure; no assertion depends on timing.
const hangGuard = 10 * time.Second

// peer plays git-annex against Serve over pipes and asserts only on what
// crosses the wire.
type peer struct {
	t      *testing.T
	in     *io.PipeWriter // git-annex → remote
	lines  chan string    // remote → git-annex, without LF
	done   chan error     // Serve's result
	cancel context.CancelFunc
	stderr *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func startPeer(t *testing.T, r protocol.Remote, opts protocol.Options) *peer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	p := &peer{t: t, in: inW, lines: make(chan string, 1000), done: make(chan error, 1), cancel: cancel, stderr: &lockedBuffer{}}
	if opts.Stderr == nil {
		opts.Stderr = p.stderr
	}
	go func() {
		err := protocol.Serve(ctx, r, inR, outW, opts)
		inR.CloseWithError(errors.New("Serve has returned"))
		outW.Close()
		p.done <- err
	}()
	go func() {
		defer close(p.lines)
		br := bufio.NewReader(outR)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				if line != "" {
					p.lines <- "UNTERMINATED:" + line
				}
				return
			}
			p.lines <- strings.TrimSuffix(line, "\n")
		}
	}()
	t.Cleanup(func() {
		cancel()
		inW.Close()
		outR.Close()
	})
	return p
}

// handshake completes VERSION/EXTENSIONS; accepted is the EXTENSIONS reply
// expected for offer.
func (p *peer) handshake(offer, accepted string) {
	p.t.Helper()
	p.expect("VERSION 2")
	p.send("EXTENSIONS " + offer)
	p.expect("EXTENSIONS " + accepted)
}

// handshakeJob completes the handshake on 10.20230126's offer, with ASYNC
// accepted or not, and returns what starts the lines of job 1: "J 1 " under
// ASYNC, "" without.
func (p *peer) handshakeJob(async bool) string {
	p.t.Helper()
	if async {
		p.handshake(offer2023, offer2023)
		return "J 1 "
	}
	p.handshake(offer2023, "INFO GETGITREMOTENAME")
	return ""
}

func (p *peer) send(lines ...string) {
	p.t.Helper()
	for _, l := range lines {
		if _, err := io.WriteString(p.in, l+"\n"); err != nil {
			p.t.Fatalf("sending %q: %v", l, err)
		}
	}
}

// sendTogether sends lines with one write, as git-annex sends a message
// whose file name contains a newline: the remote reads them all at once.
func (p *peer) sendTogether(lines ...string) {
	p.t.Helper()
	data := strings.Join(lines, "\n") + "\n"
	if _, err := io.WriteString(p.in, data); err != nil {
		p.t.Fatalf("sending %q: %v", data, err)
	}
}

// next returns the next line from the remote.
func (p *peer) next() string {
	p.t.Helper()
	select {
	case l, ok := <-p.lines:
		if !ok {
			p.t.Fatalf("remote closed its output; stderr:\n%s", p.stderr)
		}
		return l
	case <-time.After(hangGuard):
		p.t.Fatalf("no line from the remote within %v; stderr:\n%s", hangGuard, p.stderr)
	}
	return ""
}

// expect asserts the next lines, in order.
func (p *peer) expect(want ...string) {
	p.t.Helper()
	for _, w := range want {
		if got := p.next(); got != w {
			p.t.Fatalf("remote sent %q, want %q; stderr:\n%s", got, w, p.stderr)
		}
	}
}

// expectPrefix asserts the next line starts with prefix and returns it.
func (p *peer) expectPrefix(prefix string) string {
	p.t.Helper()
	got := p.next()
	if !strings.HasPrefix(got, prefix) {
		p.t.Fatalf("remote sent %q, want a line starting %q; stderr:\n%s", got, prefix, p.stderr)
	}
	return got
}

// end closes git-annex's side and returns Serve's result, checking that
// nothing else was sent.
func (p *peer) end() error {
	p.t.Helper()
	p.in.Close()
	var err error
	select {
	case err = <-p.done:
	case <-time.After(hangGuard):
		p.t.Fatalf("Serve did not return within %v after end of input", hangGuard)
	}
	for l := range p.lines {
		p.t.Errorf("unexpected line after the last expected one: %q", l)
	}
	return err
}

// wait returns Serve's result without closing the input.
func (p *peer) wait() error {
	p.t.Helper()
	select {
	case err := <-p.done:
		return err
	case <-time.After(hangGuard):
		p.t.Fatalf("Serve did not return within %v", hangGuard)
	}
	return nil
}

// funcs backs the fake remotes: a nil field means "succeed".
type funcs struct {
	mu    sync.Mutex
	calls []string // "METHOD arg|arg|..." in call order

	initRemote   func(ctx context.Context, a *protocol.Annex) error
	prepare      func(ctx context.Context, a *protocol.Annex) error
	store        func(ctx context.Context, a *protocol.Annex, key, file string) error
	retrieve     func(ctx context.Context, a *protocol.Annex, key, file string) error
	checkPresent func(ctx context.Context, a *protocol.Annex, key string) (bool, error)
	remove       func(ctx context.Context, a *protocol.Annex, key string) error
	storeExport  func(ctx context.Context, a *protocol.Annex, name, key, file string) error
	checkExport  func(ctx context.Context, a *protocol.Annex, name, key string) (bool, error)
	renameExport func(ctx context.Context, a *protocol.Annex, name, key, newName string) error
	removeDir    func(ctx context.Context, a *protocol.Annex, dir string) error
	info         func(ctx context.Context, a *protocol.Annex) ([]protocol.InfoField, error)
	cost         func(ctx context.Context, a *protocol.Annex) (int, error)
	whereIs      func(ctx context.Context, a *protocol.Annex, key string) (string, error)

	list             func(ctx context.Context, a *protocol.Annex, emit func(size int64, name, cid string) error) error
	retrieveImport   func(ctx context.Context, a *protocol.Annex, name, file string) error
	checkImport      func(ctx context.Context, a *protocol.Annex, name, key string) (bool, error)
	importKey        func(ctx context.Context, a *protocol.Annex, name string, size int64, cid string) (string, error)
	storeExpected    func(ctx context.Context, a *protocol.Annex, loc protocol.Location, key, file string) (string, error)
	retrieveExpected func(ctx context.Context, a *protocol.Annex, loc protocol.Location, key, file string) error
	checkExpected    func(ctx context.Context, a *protocol.Annex, loc protocol.Location, key string) (bool, error)
	removeExpected   func(ctx context.Context, a *protocol.Annex, loc protocol.Location, key string) error
	removeWhenEmpty  func(ctx context.Context, a *protocol.Annex, dir string) error
}

func (f *funcs) record(call string, args ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call+" "+strings.Join(args, "|"))
}

func (f *funcs) recorded() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// core implements only protocol.Remote.
type core struct{ *funcs }

func (c core) InitRemote(ctx context.Context, a *protocol.Annex) error {
	c.record("InitRemote")
	if c.initRemote != nil {
		return c.initRemote(ctx, a)
	}
	return nil
}

func (c core) Prepare(ctx context.Context, a *protocol.Annex) error {
	c.record("Prepare")
	if c.prepare != nil {
		return c.prepare(ctx, a)
	}
	return nil
}

// full implements every optional interface of plain and export remotes;
// [withImport] adds import and the conditional draft.
type full struct{ core }

var (
	_ protocol.KeyValue   = full{}
	_ protocol.Exporter   = full{}
	_ protocol.Configurer = full{}
	_ protocol.Informer   = full{}
	_ protocol.Coster     = full{}
	_ protocol.Availabler = full{}
	_ protocol.Whereiser  = full{}
)

func newFull() (full, *funcs) {
	f := &funcs{}
	return full{core{f}}, f
}

func (r full) Store(ctx context.Context, a *protocol.Annex, key, file string) error {
	r.record("Store", key, file)
	if r.store != nil {
		return r.store(ctx, a, key, file)
	}
	return nil
}

func (r full) Retrieve(ctx context.Context, a *protocol.Annex, key, file string) error {
	r.record("Retrieve", key, file)
	if r.retrieve != nil {
		return r.retrieve(ctx, a, key, file)
	}
	return nil
}

func (r full) CheckPresent(ctx context.Context, a *protocol.Annex, key string) (bool, error) {
	r.record("CheckPresent", key)
	if r.checkPresent != nil {
		return r.checkPresent(ctx, a, key)
	}
	return true, nil
}

func (r full) Remove(ctx context.Context, a *protocol.Annex, key string) error {
	r.record("Remove", key)
	if r.remove != nil {
		return r.remove(ctx, a, key)
	}
	return nil
}

func (r full) StoreExport(ctx context.Context, a *protocol.Annex, name, key, file string) error {
	r.record("StoreExport", name, key, file)
	if r.storeExport != nil {
		return r.storeExport(ctx, a, name, key, file)
	}
	return nil
}

func (r full) RetrieveExport(ctx context.Context, a *protocol.Annex, name, key, file string) error {
	r.record("RetrieveExport", name, key, file)
	return nil
}

func (r full) CheckPresentExport(ctx context.Context, a *protocol.Annex, name, key string) (bool, error) {
	r.record("CheckPresentExport", name, key)
	if r.checkExport != nil {
		return r.checkExport(ctx, a, name, key)
	}
	return true, nil
}

func (r full) RemoveExport(ctx context.Context, a *protocol.Annex, name, key string) error {
	r.record("RemoveExport", name, key)
	return nil
}

func (r full) RemoveExportDirectory(ctx context.Context, a *protocol.Annex, dir string) error {
	r.record("RemoveExportDirectory", dir)
	if r.removeDir != nil {
		return r.removeDir(ctx, a, dir)
	}
	return nil
}

func (r full) RenameExport(ctx context.Context, a *protocol.Annex, name, key, newName string) error {
	r.record("RenameExport", name, key, newName)
	if r.renameExport != nil {
		return r.renameExport(ctx, a, name, key, newName)
	}
	return nil
}

func (r full) ListConfigs() []protocol.ConfigSetting {
	return []protocol.ConfigSetting{{Name: "directory", Description: "store files here"}, {Name: "x", Description: ""}}
}

func (r full) Info(ctx context.Context, a *protocol.Annex) ([]protocol.InfoField, error) {
	if r.info != nil {
		return r.info(ctx, a)
	}
	return []protocol.InfoField{{Name: "directory", Value: "/srv/a b"}}, nil
}

func (r full) Cost(ctx context.Context, a *protocol.Annex) (int, error) {
	if r.cost != nil {
		return r.cost(ctx, a)
	}
	return 150, nil
}

func (r full) Availability(ctx context.Context, a *protocol.Annex) (protocol.Availability, error) {
	return protocol.Local, nil
}

func (r full) WhereIs(ctx context.Context, a *protocol.Annex, key string) (string, error) {
	if r.whereIs != nil {
		return r.whereIs(ctx, a, key)
	}
	return "/srv/" + key, nil
}

// withImport implements every optional interface: full, import with
// IMPORTKEY, and the conditional draft.
type withImport struct{ full }

var (
	_ protocol.Importer            = withImport{}
	_ protocol.ImportKeyer         = withImport{}
	_ protocol.ConditionalExporter = withImport{}
	_ protocol.Importer            = importerOnly{}
)

func newWithImport() (withImport, *funcs) {
	r, f := newFull()
	return withImport{r}, f
}

// importerOnly is a Remote and an Importer, without IMPORTKEY.
type importerOnly struct{ core }

func (r importerOnly) ListImportableContents(ctx context.Context, a *protocol.Annex, emit func(size int64, name, cid string) error) error {
	return emit(1, "a", "cid-a")
}

func (r importerOnly) RetrieveImport(ctx context.Context, a *protocol.Annex, name, file string) error {
	r.record("RetrieveImport", name, file)
	return nil
}

func (r importerOnly) CheckPresentImport(ctx context.Context, a *protocol.Annex, name, key string) (bool, error) {
	return true, nil
}

func (r withImport) ListImportableContents(ctx context.Context, a *protocol.Annex, emit func(size int64, name, cid string) error) error {
	r.record("ListImportableContents")
	if r.list != nil {
		return r.list(ctx, a, emit)
	}
	return emit(6, "a.txt", "s6-m1-i1")
}

func (r withImport) RetrieveImport(ctx context.Context, a *protocol.Annex, name, file string) error {
	r.record("RetrieveImport", name, file)
	if r.retrieveImport != nil {
		return r.retrieveImport(ctx, a, name, file)
	}
	return nil
}

func (r withImport) CheckPresentImport(ctx context.Context, a *protocol.Annex, name, key string) (bool, error) {
	r.record("CheckPresentImport", name, key)
	if r.checkImport != nil {
		return r.checkImport(ctx, a, name, key)
	}
	return true, nil
}

func (r withImport) ImportKey(ctx context.Context, a *protocol.Annex, name string, size int64, cid string) (string, error) {
	r.record("ImportKey", name, strconv.FormatInt(size, 10), cid)
	if r.importKey != nil {
		return r.importKey(ctx, a, name, size, cid)
	}
	return "SHA256E-s" + strconv.FormatInt(size, 10) + "--0123", nil
}

// locString shows a Location in recorded calls.
func locString(loc protocol.Location) string {
	return fmt.Sprintf("%s %q nothing=%v", loc.Name, loc.Expected, loc.NothingExpected)
}

func (r withImport) StoreExportExpected(ctx context.Context, a *protocol.Annex, loc protocol.Location, key, file string) (string, error) {
	r.record("StoreExportExpected", locString(loc), key, file)
	if r.storeExpected != nil {
		return r.storeExpected(ctx, a, loc, key, file)
	}
	return "cid of " + key, nil
}

func (r withImport) RetrieveExportExpected(ctx context.Context, a *protocol.Annex, loc protocol.Location, key, file string) error {
	r.record("RetrieveExportExpected", locString(loc), key, file)
	if r.retrieveExpected != nil {
		return r.retrieveExpected(ctx, a, loc, key, file)
	}
	return nil
}

func (r withImport) CheckPresentExportExpected(ctx context.Context, a *protocol.Annex, loc protocol.Location, key string) (bool, error) {
	r.record("CheckPresentExportExpected", locString(loc), key)
	if r.checkExpected != nil {
		return r.checkExpected(ctx, a, loc, key)
	}
	return true, nil
}

func (r withImport) RemoveExportExpected(ctx context.Context, a *protocol.Annex, loc protocol.Location, key string) error {
	r.record("RemoveExportExpected", locString(loc), key)
	if r.removeExpected != nil {
		return r.removeExpected(ctx, a, loc, key)
	}
	return nil
}

func (r withImport) RemoveExportDirectoryWhenEmpty(ctx context.Context, a *protocol.Annex, dir string) error {
	r.record("RemoveExportDirectoryWhenEmpty", dir)
	if r.removeWhenEmpty != nil {
		return r.removeWhenEmpty(ctx, a, dir)
	}
	return nil
}

// converse plays one session without ASYNC: the handshake, then send, the
// replies in want, and the end of input; then it checks the handler calls
// against calls, unless calls is nil.
func converse(t *testing.T, r protocol.Remote, f *funcs, offer string, send, want, calls []string) {
	t.Helper()
	p := startPeer(t, r, protocol.Options{DisableAsync: true})
	p.handshake(offer, "INFO GETGITREMOTENAME")
	p.send(send...)
	p.expect(want...)
	if err := p.end(); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if got := f.recorded(); calls != nil && !slices.Equal(got, calls) {
		t.Errorf("handler calls = %q, want %q", got, calls)
	}
}

// sessionCase is one row of a table of sessions: setup adjusts the remote's
// handlers, send follows the handshake, want are the replies, and calls
// the handler calls (nil: not checked).
type sessionCase struct {
	name  string
	setup func(f *funcs)
	send  []string
	want  []string
	calls []string
}

// runSessionCases plays each case, without ASYNC, against a fresh remote
// from newRemote.
func runSessionCases(t *testing.T, newRemote func() (protocol.Remote, *funcs), offer string, cases []sessionCase) {
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			r, f := newRemote()
			if tt.setup != nil {
				tt.setup(f)
			}
			converse(t, r, f, offer, tt.send, tt.want, tt.calls)
		})
	}
}

func newFullRemote() (protocol.Remote, *funcs)       { return newFull() }
func newWithImportRemote() (protocol.Remote, *funcs) { return newWithImport() }

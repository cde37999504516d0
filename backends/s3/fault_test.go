package s3_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
	"github.com/exporttree/git-annex-remote-exporttree/backends/s3"
	"github.com/exporttree/git-annex-remote-exporttree/backends/s3/s3test"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Faults the tests provoke on a real MinIO (a stopped server, a deleted
// bucket, revoked credentials) or inject in the HTTP transport (answers
// a healthy server does not give on demand).

func transport(t *testing.T) http.RoundTripper {
	t.Helper()
	tr, err := minio.DefaultTransport(false)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// isPart and the others tell the requests of a store apart.
func isPart(r *http.Request) bool { return r.Method == "PUT" && r.URL.Query().Has("partNumber") }
func isPut(r *http.Request) bool  { return r.Method == "PUT" && !r.URL.Query().Has("uploadId") }
func isComplete(r *http.Request) bool {
	return r.Method == "POST" && r.URL.Query().Has("uploadId")
}
func isHead(r *http.Request) bool { return r.Method == "HEAD" }

// faulty answers the first n requests that match with an S3 error of the
// given status and code, without passing them on (after reading their
// body, as a server would), then passes everything through. n < 0 fails
// them all. An empty code sends no body, as MinIO answers HEAD requests
// and the 499 of a request it drops as canceled.
type faulty struct {
	next   http.RoundTripper
	match  func(*http.Request) bool
	status int
	code   string

	mu      sync.Mutex
	n       int
	matched int
}

func (f *faulty) RoundTrip(r *http.Request) (*http.Response, error) {
	if !f.match(r) {
		return f.next.RoundTrip(r)
	}
	f.mu.Lock()
	f.matched++
	fail := f.n != 0
	if f.n > 0 {
		f.n--
	}
	f.mu.Unlock()
	if !fail {
		return f.next.RoundTrip(r)
	}
	if r.Body != nil {
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	body := ""
	if r.Method != "HEAD" && f.code != "" {
		body = fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>`+
			`<Error><Code>%s</Code><Message>injected %s</Message><Resource>%s</Resource><RequestId>fault</RequestId></Error>`,
			f.code, f.code, r.URL.Path)
	}
	text := http.StatusText(f.status)
	if text == "" {
		text = fmt.Sprintf("status code %d", f.status) // as Go's server words it
	}
	return &http.Response{
		Status:        fmt.Sprintf("%d %s", f.status, text),
		StatusCode:    f.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {"application/xml"}},
		Body:          io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       r,
	}, nil
}

func (f *faulty) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.matched
}

// Throttling (503 SlowDown), internal errors (500) and requests the server
// dropped as canceled (499) are retried by minio-go, on every request of a
// store, conditional or not: bodies are in memory. Progress counts a body
// sent twice once.
func TestRetriedAnswers(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), (12<<20)/16) // three parts
	for _, tc := range []struct {
		what   string
		match  func(*http.Request) bool
		size   int
		status int
		code   string
	}{
		{"single PUT", isPut, 1000, 503, "SlowDown"},
		{"single PUT", isPut, 1000, 500, "InternalError"},
		{"parts", isPart, len(data), 503, "SlowDown"},
		{"parts", isPart, len(data), 500, "InternalError"},
		{"completion", isComplete, len(data), 503, "SlowDown"},
		{"HEAD", isHead, 1000, 503, ""},
		// MinIO drops a request whose context ended before it was
		// handled with a bare 499 (handler-api.go, maxClients).
		{"single PUT", isPut, 1000, 499, ""},
		{"parts", isPart, len(data), 499, ""},
		{"completion", isComplete, len(data), 499, ""},
	} {
		t.Run(fmt.Sprintf("%s %d", tc.what, tc.status), func(t *testing.T) {
			h := newHarness(t, false, "")
			f := &faulty{next: transport(t), match: tc.match, status: tc.status, code: tc.code, n: 2}
			b := h.open(t, func(cfg *s3.Config) { cfg.Transport = f })
			var log progressLog
			cid, err := b.Store(t.Context(), "f", bytes.NewReader(data[:tc.size]), backends.StoreOptions{Size: int64(tc.size), Progress: log.report, If: backends.NothingThere})
			if err != nil {
				t.Fatalf("Store: %v", err)
			}
			log.check(t, int64(tc.size))
			info, err := b.Stat(t.Context(), "f")
			if err != nil || info.CID != cid {
				t.Fatalf("Stat: %+v, %v; stored %s", info, err, cid)
			}
			if got := f.count(); got < 3 {
				t.Errorf("%d matching requests, want the 2 failed ones retried", got)
			}
			if got, _ := retrieve(t, b, "f"); !bytes.Equal(got, data[:tc.size]) {
				t.Errorf("stored content differs")
			}
			h.wantNoUploads(t)
		})
	}
}

// When the faults persist, the store fails with the server's reason after
// MaxRetries tries, and leaves nothing; once they stop, the same
// conditional store (git-annex's retry) succeeds.
func TestPersistentFaults(t *testing.T) {
	data := make([]byte, 12<<20)
	for _, tc := range []struct {
		what   string
		match  func(*http.Request) bool
		size   int
		status int
		code   string
		class  error
		reason string
	}{
		{"single PUT", isPut, 1000, 503, "SlowDown", backends.ErrUnreachable, "injected SlowDown"},
		{"parts", isPart, len(data), 503, "SlowDown", backends.ErrUnreachable, "injected SlowDown"},
		{"completion", isComplete, len(data), 500, "InternalError", nil, "injected InternalError"},
		{"single PUT", isPut, 1000, 499, "", backends.ErrUnreachable, "dropped the request as canceled (HTTP 499)"},
		{"parts", isPart, len(data), 499, "", backends.ErrUnreachable, "dropped the request as canceled (HTTP 499)"},
	} {
		t.Run(fmt.Sprintf("%s %d", tc.what, tc.status), func(t *testing.T) {
			h := newHarness(t, false, "")
			f := &faulty{next: transport(t), match: tc.match, status: tc.status, code: tc.code, n: -1}
			b := h.open(t, func(cfg *s3.Config) { cfg.Transport, cfg.MaxRetries, cfg.Parallelism = f, 3, 1 })
			opts := backends.StoreOptions{Size: int64(tc.size), If: backends.NothingThere}
			_, err := b.Store(t.Context(), "f", bytes.NewReader(data[:tc.size]), opts)
			if err == nil {
				t.Fatal("Store succeeded")
			}
			if tc.class != nil {
				wantClass(t, err, tc.class)
			}
			for _, class := range []error{backends.ErrNotFound, backends.ErrConflict, backends.ErrRefused} {
				if errors.Is(err, class) {
					t.Errorf("error %v is of class %v", err, class)
				}
			}
			if msg := err.Error(); !strings.Contains(msg, `"f"`) || !strings.Contains(msg, tc.reason) {
				t.Errorf("error %q lacks the name or the server's reason", msg)
			}
			if got := f.count(); got != 3 {
				t.Errorf("%d matching requests, want 3 (MaxRetries)", got)
			}
			wantAbsent(t, b, "f")
			h.wantNoUploads(t)

			f.mu.Lock()
			f.n = 0
			f.mu.Unlock()
			cid := store(t, b, "f", data[:tc.size], opts)
			if got, gotCID := retrieve(t, b, "f"); !bytes.Equal(got, data[:tc.size]) || gotCID != cid {
				t.Errorf("after the retried store, f holds other content (%s, stored %s)", gotCID, cid)
			}
			h.wantNoUploads(t)
		})
	}
}

// blockingReader blocks its first Read until release is closed, then
// yields nothing (so an io.MultiReader goes on with the next reader).
type blockingReader struct{ release <-chan struct{} }

func (r blockingReader) Read([]byte) (int, error) {
	<-r.release
	return 0, io.EOF
}

// partSignal passes requests through and closes stored once the server
// has acknowledged a part.
type partSignal struct {
	next   http.RoundTripper
	once   sync.Once
	stored chan struct{}
}

func (p *partSignal) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := p.next.RoundTrip(r)
	if err == nil && isPart(r) && resp.StatusCode == 200 {
		p.once.Do(func() { close(p.stored) })
	}
	return resp, err
}

// The S3 issue's fault test: with MinIO stopped mid-upload, the store ends
// with a clear error naming the reason, no partial object is visible, the
// multipart upload its abort could not remove is removed once MinIO is
// back (by the retried store, or by Close), and the retried store
// succeeds.
func TestServerStoppedMidUpload(t *testing.T) {
	srv := s3test.Dedicated(t)
	h := &harness{client: srv.Client(t), bucket: srv.NewBucket(t, false)}
	signal := &partSignal{next: transport(t)}
	cfg := s3.Config{Endpoint: srv.Endpoint, Bucket: h.bucket, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey,
		PartSize: s3.MinPartSize, Parallelism: 2, MaxRetries: 2, Transport: signal}
	b, err := s3.Open(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 12<<20) // three parts
	for i := range data {
		data[i] = byte(i * 31)
	}

	// interrupted stores name, stopping the server once its first part
	// is stored, and returns with the server running again.
	interrupted := func(name string) {
		t.Helper()
		signal.stored = make(chan struct{})
		signal.once = sync.Once{}
		release := make(chan struct{})
		src := io.MultiReader(bytes.NewReader(data[:s3.MinPartSize]), blockingReader{release}, bytes.NewReader(data[s3.MinPartSize:]))
		var reports atomic.Int64
		done := make(chan error, 1)
		go func() {
			_, err := b.Store(t.Context(), name, src, backends.StoreOptions{Size: int64(len(data)), Progress: func(n int64) { reports.Store(n) }})
			done <- err
		}()
		<-signal.stored
		srv.Close()
		close(release)
		err := <-done
		wantClass(t, err, backends.ErrUnreachable)
		if msg := err.Error(); !strings.Contains(msg, fmt.Sprintf("%q", name)) || !strings.Contains(strings.ToLower(msg), "connect") {
			t.Errorf("error %q lacks the name or the reason", msg)
		}
		if reports.Load() >= int64(len(data)) {
			t.Errorf("the failed store reported all %d bytes sent", reports.Load())
		}
		if err := srv.Restart(); err != nil {
			t.Fatal(err)
		}
		wantAbsent(t, b, name)
		// The abort could not reach the server: the upload is left,
		// which makes the cleanup below worth testing.
		// The abort could not reach the server: the upload is left,
		// which makes the cleanup below worth testing.
		if got := h.uploadsOf(t, name); got != 1 {
			t.Fatalf("%d incomplete uploads of %q after the interrupted store, want 1", got, name)
		}
	}

	interrupted("big")
	// The retried store aborts the upload first, and succeeds.
	var log progressLog
	cid := store(t, b, "big", data, backends.StoreOptions{Size: int64(len(data)), Progress: log.report})
	log.check(t, int64(len(data)))
	if got, gotCID := retrieve(t, b, "big"); !bytes.Equal(got, data) || gotCID != cid {
		t.Errorf("after the retried store, big holds other content (%s, stored %s)", gotCID, cid)
	}
	if got := h.uploadsOf(t, "big"); got != 0 {
		t.Errorf("%d incomplete uploads of big after the retried store", got)
	}

	// Without a retry, Close aborts it.
	interrupted("other")
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got := h.uploadsOf(t, "other"); got != 0 {
		t.Errorf("%d incomplete uploads of other after Close", got)
	}
	wantAbsent(t, b, "other")
}

// uploadsOf counts the incomplete multipart uploads of key. After a
// restart, MinIO lists old uploads only for an exact key.
func (h *harness) uploadsOf(t *testing.T, key string) int {
	t.Helper()
	n := 0
	for up := range h.client.ListIncompleteUploads(t.Context(), h.bucket, key, true) {
		if up.Err != nil {
			t.Fatal(up.Err)
		}
		if up.Key == key {
			n++
		}
	}
	return n
}

// switchable is a credentials provider whose secret the test changes, as
// a revoked or rotated key would.
type switchable struct {
	access string
	secret atomic.Value // string
}

func (s *switchable) RetrieveWithCredContext(*credentials.CredContext) (credentials.Value, error) {
	return s.Retrieve()
}

func (s *switchable) Retrieve() (credentials.Value, error) {
	return credentials.Value{AccessKeyID: s.access, SecretAccessKey: s.secret.Load().(string), SignerType: credentials.SignatureV4}, nil
}

func (s *switchable) IsExpired() bool { return true }

// Credentials refused after Open make every operation fail as refused,
// saying why; nothing reads as absent.
func TestCredentialsRefusedAfterOpen(t *testing.T) {
	h := newHarness(t, false, "")
	store(t, h.b, "f", []byte("x"), backends.StoreOptions{Size: 1})
	creds := &switchable{access: s3test.Shared(t).AccessKey}
	creds.secret.Store(s3test.Shared(t).SecretKey)
	b := h.open(t, func(cfg *s3.Config) { cfg.Creds = credentials.New(creds) })
	creds.secret.Store("revoked")
	ctx := t.Context()
	_, err := b.Store(ctx, "g", strings.NewReader("y"), backends.StoreOptions{Size: 1})
	wantClass(t, err, backends.ErrRefused)
	if !strings.Contains(err.Error(), "signature") {
		t.Errorf("error %q does not say the signature was refused", err)
	}
	_, err = b.Store(ctx, "g", bytes.NewReader(make([]byte, 6<<20)), backends.StoreOptions{Size: 6 << 20})
	wantClass(t, err, backends.ErrRefused)
	_, err = b.Stat(ctx, "f")
	wantClass(t, err, backends.ErrRefused)
	_, err = b.Retrieve(ctx, "f", "", io.Discard)
	wantClass(t, err, backends.ErrRefused)
	err = b.List(ctx, "", func(backends.Info) error { return nil })
	wantClass(t, err, backends.ErrRefused)
	err = b.Remove(ctx, "f", backends.Unconditional)
	wantClass(t, err, backends.ErrRefused)
	err = b.Sweep(ctx)
	wantClass(t, err, backends.ErrRefused)
	wantAbsent(t, h.b, "g")
}

// A bucket deleted after Open is storage gone, like an unmounted drive:
// every operation says so, and none reports a name absent.
func TestBucketDeletedAfterOpen(t *testing.T) {
	h := newHarness(t, false, "")
	b := h.b
	ctx := t.Context()
	cid := store(t, b, "f", []byte("x"), backends.StoreOptions{Size: 1})
	if err := h.client.RemoveBucketWithOptions(ctx, h.bucket, minio.RemoveBucketOptions{ForceDelete: true}); err != nil {
		t.Fatal(err)
	}
	check := func(op string, err error) {
		t.Helper()
		if !errors.Is(err, backends.ErrUnreachable) || !strings.Contains(err.Error(), h.bucket+`" is gone`) {
			t.Errorf("%s after the bucket was deleted: %v, want unreachable, bucket gone", op, err)
		}
	}
	_, err := b.Stat(ctx, "f")
	check("Stat", err)
	_, err = b.Retrieve(ctx, "f", cid, io.Discard)
	check("Retrieve", err)
	_, err = b.Store(ctx, "g", strings.NewReader("y"), backends.StoreOptions{Size: 1})
	check("Store", err)
	_, err = b.Store(ctx, "g", bytes.NewReader(make([]byte, 6<<20)), backends.StoreOptions{Size: 6 << 20})
	check("multipart Store", err)
	check("List", b.List(ctx, "", func(backends.Info) error { return nil }))
	check("Remove", b.Remove(ctx, "f", backends.Matches(cid)))
	check("Rename", b.Rename(ctx, "f", "h", backends.Unconditional, backends.Unconditional))
	check("RemoveDir", b.RemoveDir(ctx, "d"))
	check("Sweep", b.Sweep(ctx))
}

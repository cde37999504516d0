package s3_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
	"github.com/exporttree/git-annex-remote-exporttree/backends/backendtest"
	"github.com/exporttree/git-annex-remote-exporttree/backends/s3"
	"github.com/exporttree/git-annex-remote-exporttree/backends/s3/s3test"
	"github.com/minio/minio-go/v7"
)

// One MinIO serves every test of the package; each harness gets a fresh
// bucket.
func TestMain(m *testing.M) { os.Exit(s3test.Main(m)) }

// harness is a Backend on a fresh bucket of the shared MinIO, with a
// minio-go client acting behind its back. Its writes carry a SHA-256
// checksum, as some S3 tools send, so the suite checks the digests Stat
// derives from it.
type harness struct {
	b         *s3.Backend
	client    *minio.Client
	checksums *minio.Client // client, able to send checksums
	bucket    string
	prefix    string
}

// newHarness opens a backend on a fresh bucket, versioned or not, whose
// tree lives under prefix. A stray object outside the prefix must never
// show through the backend.
func newHarness(t testing.TB, versioned bool, prefix string) *harness {
	t.Helper()
	srv := s3test.Shared(t)
	h := &harness{client: srv.Client(t), checksums: srv.ChecksumClient(t), bucket: srv.NewBucket(t, versioned), prefix: prefix}
	if prefix != "" {
		if _, err := h.client.PutObject(context.Background(), h.bucket, "outside-the-prefix", strings.NewReader("x"), 1, minio.PutObjectOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	var err error
	h.b, err = s3.Open(context.Background(), h.config(srv))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if h.b.Versioned() != versioned {
		t.Fatalf("Versioned() = %v on a bucket made with versioning %v", h.b.Versioned(), versioned)
	}
	return h
}

func (h *harness) config(srv *s3test.Server) s3.Config {
	return s3.Config{
		Endpoint:  srv.Endpoint,
		Bucket:    h.bucket,
		Prefix:    h.prefix,
		PathStyle: s3.PathStylePath,
		AccessKey: srv.AccessKey,
		SecretKey: srv.SecretKey,
		PartSize:  s3.MinPartSize,
	}
}

func (h *harness) Backend() backends.Backend { return h.b }

func (h *harness) Properties() backendtest.Properties {
	return backendtest.Properties{
		Labels: true,
		// S3 keys are UTF-8.
		Refuses: func(name string) bool { return !utf8.ValidString(name) },
		// Without versioning, a conditional Remove is a HEAD, then a
		// DELETE (see Backend.Remove).
		RemoveWindow: !h.b.Versioned(),
	}
}

func (h *harness) Write(ctx context.Context, name string, data []byte) error {
	_, err := h.checksums.PutObject(ctx, h.bucket, h.prefix+name, bytes.NewReader(data), int64(len(data)),
		minio.PutObjectOptions{Checksum: minio.ChecksumSHA256})
	return err
}

func (h *harness) Delete(ctx context.Context, name string) error {
	return h.client.RemoveObject(ctx, h.bucket, h.prefix+name, minio.RemoveObjectOptions{})
}

func (h *harness) Read(ctx context.Context, name string) ([]byte, error) {
	obj, err := h.client.GetObject(ctx, h.bucket, h.prefix+name, minio.GetObjectOptions{})
	if err != nil {
		return nil, err
	}
	defer obj.Close()
	data, err := io.ReadAll(obj)
	if minio.ToErrorResponse(err).Code == "NoSuchKey" {
		return nil, fmt.Errorf("%s: %w", name, fs.ErrNotExist)
	}
	return data, err
}

// Entries lists the current objects under the prefix and, as S3's
// temporaries, incomplete multipart uploads, which a failed store must not
// leave behind.
func (h *harness) Entries(ctx context.Context) ([]string, error) {
	var names []string
	for info := range h.client.ListObjectsIter(ctx, h.bucket, minio.ListObjectsOptions{Prefix: h.prefix, Recursive: true}) {
		if info.Err != nil {
			return nil, info.Err
		}
		names = append(names, strings.TrimPrefix(info.Key, h.prefix))
	}
	// MinIO lists uploads for a whole bucket or an exact key only.
	for up := range h.client.ListIncompleteUploads(ctx, h.bucket, "", true) {
		if up.Err != nil {
			return nil, up.Err
		}
		if name, ok := strings.CutPrefix(up.Key, h.prefix); ok {
			names = append(names, name+" (incomplete multipart upload)")
		}
	}
	return names, nil
}

func (h *harness) Close() {}

func TestConformanceUnversioned(t *testing.T) {
	backendtest.RunConformanceTests(t, func(ctx context.Context, t *testing.T) (backendtest.Harness, error) {
		return newHarness(t, false, ""), nil
	})
}

func TestConformanceVersioned(t *testing.T) {
	backendtest.RunConformanceTests(t, func(ctx context.Context, t *testing.T) (backendtest.Harness, error) {
		return newHarness(t, true, "tree/"), nil
	})
}

// S3-specific tests.

func wantClass(t *testing.T, err, class error) {
	t.Helper()
	if !errors.Is(err, class) {
		t.Fatalf("got error %v, want class %v", err, class)
	}
}

// counter counts the HTTP requests a backend makes.
type counter struct {
	mu   sync.Mutex
	reqs []string // "METHOD path?query"
	next http.RoundTripper
}

func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.reqs = append(c.reqs, r.Method+" "+r.URL.RawQuery)
	c.mu.Unlock()
	return c.next.RoundTrip(r)
}

func (c *counter) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.reqs
	c.reqs = nil
	return r
}

// open opens a backend on h's bucket with changes made by edit.
func (h *harness) open(t *testing.T, edit func(*s3.Config)) *s3.Backend {
	t.Helper()
	cfg := h.config(s3test.Shared(t))
	if edit != nil {
		edit(&cfg)
	}
	b, err := s3.Open(t.Context(), cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return b
}

// counted opens a backend on h's bucket whose requests c counts.
func (h *harness) counted(t *testing.T, edit func(*s3.Config)) (*s3.Backend, *counter) {
	t.Helper()
	next, err := minio.DefaultTransport(false)
	if err != nil {
		t.Fatal(err)
	}
	c := &counter{next: next}
	b := h.open(t, func(cfg *s3.Config) {
		cfg.Transport = c
		if edit != nil {
			edit(cfg)
		}
	})
	c.take()
	return b, c
}

func forBoth(t *testing.T, test func(t *testing.T, h *harness)) {
	for _, versioned := range []bool{false, true} {
		t.Run(fmt.Sprintf("versioned=%v", versioned), func(t *testing.T) {
			test(t, newHarness(t, versioned, "p/"))
		})
	}
}

func store(t *testing.T, b *s3.Backend, name string, data []byte, opts backends.StoreOptions) backends.CID {
	t.Helper()
	cid, err := b.Store(t.Context(), name, bytes.NewReader(data), opts)
	if err != nil {
		t.Fatalf("Store(%q): %v", name, err)
	}
	return cid
}

func retrieve(t *testing.T, b *s3.Backend, name string) ([]byte, backends.CID) {
	t.Helper()
	var buf bytes.Buffer
	cid, err := b.Retrieve(t.Context(), name, "", &buf)
	if err != nil {
		t.Fatalf("Retrieve(%q): %v", name, err)
	}
	return buf.Bytes(), cid
}

func wantAbsent(t *testing.T, b *s3.Backend, name string) {
	t.Helper()
	_, err := b.Stat(t.Context(), name)
	wantClass(t, err, backends.ErrNotFound)
}

// wantNoUploads checks no multipart upload was left behind. (MinIO lists
// those of a whole bucket only since it started.)
func (h *harness) wantNoUploads(t *testing.T) {
	t.Helper()
	for up := range h.client.ListIncompleteUploads(t.Context(), h.bucket, "", true) {
		if up.Err != nil {
			t.Fatal(up.Err)
		}
		t.Errorf("incomplete multipart upload left for %q", up.Key)
	}
}

// The CID of a store comes from the PUT's own response: one request, no
// HEAD after it.
func TestCIDFromPutResponse(t *testing.T) {
	forBoth(t, func(t *testing.T, h *harness) {
		b, c := h.counted(t, nil)
		data := []byte("some content")
		for _, size := range []int64{int64(len(data)), -1} {
			cid := store(t, b, "f", data, backends.StoreOptions{Size: size, Label: "KEY"})
			if reqs := c.take(); len(reqs) != 1 || !strings.HasPrefix(reqs[0], "PUT") {
				t.Fatalf("Store with size %d made requests %q, want a single PUT", size, reqs)
			}
			info, err := h.client.StatObject(t.Context(), h.bucket, "p/f", minio.StatObjectOptions{})
			if err != nil {
				t.Fatal(err)
			}
			want := backends.CID(fmt.Sprintf("e:%x:%d", md5.Sum(data), len(data)))
			if b.Versioned() {
				want = backends.CID("v:" + info.VersionID)
			}
			if cid != want {
				t.Errorf("Store returned CID %q, want %q", cid, want)
			}
			if got := info.UserMetadata["Git-Annex-Key"]; got != "KEY" {
				t.Errorf("x-amz-meta-git-annex-key = %q, want %q", got, "KEY")
			}
		}
	})
}

// Conditional stores are decided by the server on the PUT itself.
func TestConditionalPut(t *testing.T) {
	forBoth(t, func(t *testing.T, h *harness) {
		b, c := h.counted(t, nil)
		ctx := t.Context()
		cid1 := store(t, b, "f", []byte("one"), backends.StoreOptions{Size: 3, If: backends.NothingThere})
		if reqs := c.take(); len(reqs) != 1 {
			t.Errorf("Store expecting nothing made requests %q, want one PUT", reqs)
		}
		_, err := b.Store(ctx, "f", strings.NewReader("two"), backends.StoreOptions{Size: 3, If: backends.NothingThere})
		wantClass(t, err, backends.ErrConflict)
		c.take()
		cid2 := store(t, b, "f", []byte("two"), backends.StoreOptions{Size: 3, If: backends.Matches(cid1)})
		reqs := c.take()
		// A version ID is matched through its ETag, learned by a HEAD.
		if want := map[bool]int{false: 1, true: 2}[b.Versioned()]; len(reqs) != want {
			t.Errorf("Store matching %s made requests %q, want %d", cid1, reqs, want)
		}
		_, err = b.Store(ctx, "f", strings.NewReader("three"), backends.StoreOptions{Size: 5, If: backends.Matches(cid1)})
		wantClass(t, err, backends.ErrConflict)
		if got, cid := retrieve(t, b, "f"); string(got) != "two" || cid != cid2 {
			t.Errorf("after failed stores, f holds %q (%s), want %q (%s)", got, cid, "two", cid2)
		}
		for _, bogus := range []backends.CID{"v:no-such-version", "e:nope:3", "garbage"} {
			_, err = b.Store(ctx, "f", strings.NewReader("four"), backends.StoreOptions{Size: 4, If: backends.Matches(bogus)})
			wantClass(t, err, backends.ErrConflict)
		}
	})
}

// Retrieve pinned to content since overwritten fails without writing.
func TestRetrievePinnedToOverwritten(t *testing.T) {
	forBoth(t, func(t *testing.T, h *harness) {
		b := h.open(t, nil)
		cid1 := store(t, b, "f", []byte("old"), backends.StoreOptions{Size: 3})
		cid2 := store(t, b, "f", []byte("new!"), backends.StoreOptions{Size: 4})
		var buf bytes.Buffer
		_, err := b.Retrieve(t.Context(), "f", cid1, &buf)
		wantClass(t, err, backends.ErrConflict)
		if buf.Len() != 0 {
			t.Errorf("pinned Retrieve of overwritten content wrote %q", buf.Bytes())
		}
		if cid, err := b.Retrieve(t.Context(), "f", cid2, &buf); err != nil || cid != cid2 || buf.String() != "new!" {
			t.Errorf("Retrieve pinned to the current CID: (%q, %v), wrote %q", cid, err, buf.Bytes())
		}
	})
}

// On a versioned bucket, Remove matching a CID deletes exactly that
// version, and an older version does not come back in its place.
func TestRemoveExactVersion(t *testing.T) {
	h := newHarness(t, true, "")
	b := h.open(t, nil)
	ctx := t.Context()
	cid1 := store(t, b, "f", []byte("v1"), backends.StoreOptions{Size: 2})
	cid2 := store(t, b, "f", []byte("v2"), backends.StoreOptions{Size: 2})
	if err := b.Remove(ctx, "f", backends.Matches(cid2)); err != nil {
		t.Fatal(err)
	}
	wantAbsent(t, b, "f")
	var versions []string
	for v := range h.client.ListObjectsIter(ctx, h.bucket, minio.ListObjectsOptions{Prefix: "f", WithVersions: true}) {
		if v.Err != nil {
			t.Fatal(v.Err)
		}
		versions = append(versions, fmt.Sprintf("marker=%v v:%s", v.IsDeleteMarker, v.VersionID))
	}
	want := []string{"marker=true", "marker=false " + string(cid1)}
	if len(versions) != 2 || !strings.HasPrefix(versions[0], want[0]) || versions[1] != want[1] {
		t.Errorf("versions of f: %q, want a delete marker over %s only", versions, cid1)
	}
	err := b.Remove(ctx, "f", backends.Matches(cid1))
	wantClass(t, err, backends.ErrConflict)
}

// MinIO leaves "a/b" out of every listing while "a" is an object or a
// delete marker, as when an exported file "a" became a directory. Removing
// or renaming away a/b's current version must still not bring its older
// version back, though the listing of versions cannot show what is there.
func TestRemoveExactBelowHiddenKey(t *testing.T) {
	for _, op := range []string{"remove", "rename"} {
		t.Run(op, func(t *testing.T) {
			h := newHarness(t, true, "")
			b := h.open(t, nil)
			ctx := t.Context()
			store(t, b, "a", []byte("file"), backends.StoreOptions{Size: 4})
			if err := b.Remove(ctx, "a", backends.Unconditional); err != nil {
				t.Fatal(err)
			}
			store(t, b, "a/b", []byte("old"), backends.StoreOptions{Size: 3})
			cid := store(t, b, "a/b", []byte("new"), backends.StoreOptions{Size: 3})
			var err error
			if op == "remove" {
				err = b.Remove(ctx, "a/b", backends.Matches(cid))
			} else {
				err = b.Rename(ctx, "a/b", "c", backends.Matches(cid), backends.Unconditional)
			}
			if err != nil {
				t.Fatal(err)
			}
			wantAbsent(t, b, "a/b")
		})
	}
}

// Multipart uploads: parts in parallel, conditions checked on completion,
// wrong sizes and failures abort the upload.
func TestMultipart(t *testing.T) {
	const size = 12 << 20 // three parts of 5 MiB
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i*7 + i>>13)
	}
	forBoth(t, func(t *testing.T, h *harness) {
		b, c := h.counted(t, func(cfg *s3.Config) { cfg.Parallelism = 2 })
		ctx := t.Context()
		for _, declared := range []int64{size, -1} {
			r := struct{ io.Reader }{bytes.NewReader(data)} // no ReaderAt, no WriterTo
			cid, err := b.Store(ctx, "big", r, backends.StoreOptions{Size: declared, Label: "L"})
			if err != nil {
				t.Fatalf("Store of %d bytes declared %d: %v", size, declared, err)
			}
			parts := 0
			for _, r := range c.take() {
				if strings.HasPrefix(r, "PUT") && strings.Contains(r, "partNumber=") {
					parts++
				}
			}
			if parts != 3 {
				t.Errorf("uploaded %d parts, want 3", parts)
			}
			if !b.Versioned() && !strings.HasSuffix(strings.SplitN(string(cid), ":", 3)[1], "-3") {
				t.Errorf("CID %q is not that of a 3-part upload", cid)
			}
			got, gotCID := retrieve(t, b, "big")
			if !bytes.Equal(got, data) || gotCID != cid {
				t.Fatalf("Retrieve: %d bytes (equal: %v), CID %q; stored CID %q", len(got), bytes.Equal(got, data), gotCID, cid)
			}
			if info, err := b.Stat(ctx, "big"); err != nil || info.Label != "L" || info.Size != size {
				t.Errorf("Stat: %+v, %v", info, err)
			}
		}
		current, err := b.Stat(ctx, "big")
		if err != nil {
			t.Fatal(err)
		}
		other := bytes.Repeat([]byte("x"), size)
		_, err = b.Store(ctx, "big", bytes.NewReader(other), backends.StoreOptions{Size: size, If: backends.NothingThere})
		wantClass(t, err, backends.ErrConflict)
		_, err = b.Store(ctx, "big", bytes.NewReader(other), backends.StoreOptions{Size: size, If: backends.Matches("e:0123:1")})
		wantClass(t, err, backends.ErrConflict)
		_, err = b.Store(ctx, "absent", bytes.NewReader(other), backends.StoreOptions{Size: size, If: backends.Matches(current.CID)})
		wantClass(t, err, backends.ErrConflict)
		for _, src := range []io.Reader{
			bytes.NewReader(other[:size-1]),
			io.MultiReader(bytes.NewReader(other), strings.NewReader("!")),
		} {
			_, err = b.Store(ctx, "big", src, backends.StoreOptions{Size: size})
			if err == nil || errors.Is(err, backends.ErrConflict) || errors.Is(err, backends.ErrNotFound) {
				t.Errorf("Store of a wrong number of bytes declared %d: %v, want an unclassified error", size, err)
			}
		}
		errSource := errors.New("source broke")
		_, err = b.Store(ctx, "big", io.MultiReader(bytes.NewReader(other[:7<<20]), iotest.ErrReader(errSource)), backends.StoreOptions{Size: -1})
		if !errors.Is(err, errSource) {
			t.Errorf("Store from a failing source: %v, want %v", err, errSource)
		}
		if _, err := b.Store(ctx, "big", bytes.NewReader(other), backends.StoreOptions{Size: size, If: backends.Matches(current.CID)}); err != nil {
			t.Fatalf("Store matching the current CID: %v", err)
		}
		if got, _ := retrieve(t, b, "big"); !bytes.Equal(got, other) {
			t.Errorf("after the matching store, big does not hold its content")
		}
		wantAbsent(t, b, "absent")
		h.wantNoUploads(t)
	})
}

// A store canceled in the middle leaves nothing: its upload is aborted
// although its context is done.
func TestMultipartCanceled(t *testing.T) {
	h := newHarness(t, false, "")
	b := h.open(t, nil)
	ctx, cancel := context.WithCancel(t.Context())
	r := io.MultiReader(bytes.NewReader(make([]byte, 7<<20)), cancelReader(cancel), bytes.NewReader(make([]byte, 7<<20)))
	_, err := b.Store(ctx, "f", r, backends.StoreOptions{Size: 14 << 20})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled Store: %v, want context.Canceled", err)
	}
	if errors.Is(err, backends.ErrUnreachable) {
		t.Errorf("a cancellation is classified: %v", err)
	}
	wantAbsent(t, b, "f")
	h.wantNoUploads(t)
}

type cancelReader context.CancelFunc

func (c cancelReader) Read([]byte) (int, error) {
	c()
	return 0, io.EOF
}

func TestOpenErrors(t *testing.T) {
	srv := s3test.Shared(t)
	bucket := srv.NewBucket(t, false)
	ctx := t.Context()
	good := s3.Config{Endpoint: srv.Endpoint, Bucket: bucket, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, MaxRetries: 1}
	closedPort := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return "http://" + l.Addr().String()
	}()
	const secret = "very-secret-value"
	for _, tc := range []struct {
		what  string
		edit  func(*s3.Config)
		class error
	}{
		{"unreachable endpoint", func(c *s3.Config) { c.Endpoint = closedPort }, backends.ErrUnreachable},
		{"unknown host", func(c *s3.Config) { c.Endpoint = "http://no-such-host.invalid" }, backends.ErrUnreachable},
		{"wrong secret", func(c *s3.Config) { c.SecretKey = secret }, backends.ErrRefused},
		{"unknown access key", func(c *s3.Config) { c.AccessKey, c.SecretKey = "nobody", secret }, backends.ErrRefused},
		{"missing bucket", func(c *s3.Config) { c.Bucket = "no-such-bucket" }, backends.ErrNotFound},
		{"no bucket", func(c *s3.Config) { c.Bucket = "" }, backends.ErrRefused},
		{"invalid bucket name", func(c *s3.Config) { c.Bucket = "Not_Valid" }, backends.ErrRefused},
		{"bad scheme", func(c *s3.Config) { c.Endpoint = "ftp://127.0.0.1" }, backends.ErrRefused},
		{"credentials in URL", func(c *s3.Config) { c.Endpoint = "http://user:" + secret + "@127.0.0.1" }, backends.ErrRefused},
		{"path in URL", func(c *s3.Config) { c.Endpoint = srv.Endpoint + "/x" }, backends.ErrRefused},
		{"tiny parts", func(c *s3.Config) { c.PartSize = 1 << 20 }, backends.ErrRefused},
		{"non-UTF-8 prefix", func(c *s3.Config) { c.Prefix = "\xff/" }, backends.ErrRefused},
	} {
		cfg := good
		tc.edit(&cfg)
		_, err := s3.Open(ctx, cfg)
		if !errors.Is(err, tc.class) {
			t.Errorf("%s: Open: %v, want class %v", tc.what, err, tc.class)
			continue
		}
		if err != nil && strings.Contains(err.Error(), secret) {
			t.Errorf("%s: error %q shows the secret", tc.what, err)
		}
	}
}

func TestOpenCreatesBucket(t *testing.T) {
	srv := s3test.Shared(t)
	cfg := s3.Config{Endpoint: srv.Endpoint, Bucket: fmt.Sprintf("created-%d", os.Getpid()), AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, CreateBucket: true}
	for range 2 { // the second time, it exists
		b, err := s3.Open(t.Context(), cfg)
		if err != nil {
			t.Fatalf("Open with CreateBucket: %v", err)
		}
		if b.Versioned() {
			t.Errorf("new bucket reported versioned")
		}
	}
}

// Without write permission Open fails, unless told not to check.
func TestOpenReadOnly(t *testing.T) {
	srv := s3test.Shared(t)
	h := &harness{client: srv.Client(t), bucket: srv.NewBucket(t, false)}
	if _, err := h.client.PutObject(t.Context(), h.bucket, "f", strings.NewReader("public"), 6, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["*"]},` +
		`"Action":["s3:GetBucketLocation","s3:ListBucket","s3:GetBucketVersioning","s3:GetObject"],` +
		`"Resource":["arn:aws:s3:::` + h.bucket + `","arn:aws:s3:::` + h.bucket + `/*"]}]}`
	if err := h.client.SetBucketPolicy(t.Context(), h.bucket, policy); err != nil {
		t.Fatal(err)
	}
	anon := s3.Config{Endpoint: srv.Endpoint, Bucket: h.bucket}
	_, err := s3.Open(t.Context(), anon)
	wantClass(t, err, backends.ErrRefused)
	anon.SkipWriteCheck = true
	b, err := s3.Open(t.Context(), anon)
	if err != nil {
		t.Fatalf("Open read-only: %v", err)
	}
	if got, _ := retrieve(t, b, "f"); string(got) != "public" {
		t.Errorf("read %q", got)
	}
	_, err = b.Store(t.Context(), "g", strings.NewReader("x"), backends.StoreOptions{Size: 1})
	wantClass(t, err, backends.ErrRefused)
	err = b.Remove(t.Context(), "f", backends.Unconditional)
	wantClass(t, err, backends.ErrRefused)
}

// When the server goes away, every operation says unreachable, never
// absent.
func TestUnreachableAfterOpen(t *testing.T) {
	srv := s3test.Dedicated(t)
	h := &harness{client: srv.Client(t), bucket: srv.NewBucket(t, false)}
	b, err := s3.Open(t.Context(), s3.Config{Endpoint: srv.Endpoint, Bucket: h.bucket, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, MaxRetries: 1})
	if err != nil {
		t.Fatal(err)
	}
	cid := store(t, b, "f", []byte("x"), backends.StoreOptions{Size: 1})
	srv.Close()
	ctx := t.Context()
	_, err = b.Stat(ctx, "f")
	wantClass(t, err, backends.ErrUnreachable)
	_, err = b.Retrieve(ctx, "f", cid, io.Discard)
	wantClass(t, err, backends.ErrUnreachable)
	_, err = b.Store(ctx, "g", strings.NewReader("y"), backends.StoreOptions{Size: 1})
	wantClass(t, err, backends.ErrUnreachable)
	err = b.Remove(ctx, "f", backends.Matches(cid))
	wantClass(t, err, backends.ErrUnreachable)
	err = b.List(ctx, "", func(backends.Info) error { return nil })
	wantClass(t, err, backends.ErrUnreachable)
	err = b.Rename(ctx, "f", "g", backends.Unconditional, backends.Unconditional)
	wantClass(t, err, backends.ErrUnreachable)
	err = b.RemoveDir(ctx, "d")
	wantClass(t, err, backends.ErrUnreachable)
}

func TestContextCanceled(t *testing.T) {
	h := newHarness(t, false, "")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := h.b.Stat(ctx, "f")
	if !errors.Is(err, context.Canceled) || errors.Is(err, backends.ErrUnreachable) || errors.Is(err, backends.ErrNotFound) {
		t.Errorf("Stat with a canceled context: %v, want context.Canceled and no class", err)
	}
}

// trickyNames must round-trip exactly through MinIO, in addition to the
// conformance suite's names.
var trickyNames = []string{
	"a+b", "+", "%", "%%", "%2F", "%00", "?x=1&y=2", "#", "a#b?c", "&amp;", "=?utf-8?q?x?=",
	"tab\there", "new\nline", "cr\rhere", "ctrl\x01\x1f\x7f", "  ", " /x",
	"emoji \U0001F600", "日本語/ファイル名", "e\u0301", "\u00e9", "\u200b", "\ufeffbom",
	"COM1", "con", "a:b", "a;b,c", "back\\slash", "`~!@$^*()", "'\"", "<>|", "{}[]",
	"dir.with.dots/file.", "-", "x/-y",
}

func TestTrickyNames(t *testing.T) {
	forBoth(t, func(t *testing.T, h *harness) {
		b := h.open(t, nil)
		ctx := t.Context()
		want := map[string]backends.CID{}
		for i, name := range trickyNames {
			data := []byte(fmt.Sprintf("content %d", i))
			cid := store(t, b, name, data, backends.StoreOptions{Size: int64(len(data)), Label: name})
			want[name] = cid
			if got, gotCID := retrieve(t, b, name); string(got) != string(data) || gotCID != cid {
				t.Errorf("%q: Retrieve got %q (%s), want %q (%s)", name, got, gotCID, data, cid)
			}
			if info, err := b.Stat(ctx, name); err != nil || info.Label != name || info.CID != cid {
				t.Errorf("%q: Stat %+v, %v", name, info, err)
			}
			// The key is exactly prefix + name.
			if _, err := h.client.StatObject(ctx, h.bucket, h.prefix+name, minio.StatObjectOptions{}); err != nil {
				t.Errorf("%q: no object with key %q: %v", name, h.prefix+name, err)
			}
		}
		err := b.List(ctx, "", func(info backends.Info) error {
			if cid, ok := want[info.Name]; !ok || cid != info.CID || info.Label != info.Name {
				t.Errorf("List yields %+v, unexpected", info)
			}
			delete(want, info.Name)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(want) > 0 {
			t.Errorf("List lacks %q", want)
		}
	})
}

// Names S3 cannot hold are refused before any request.
func TestUnrepresentableNames(t *testing.T) {
	h := newHarness(t, false, "")
	b, c := h.counted(t, nil)
	// Without a prefix, a name of white space alone is a key minio-go
	// refuses to send.
	for _, name := range []string{"\xff", "ok/\xc3", strings.Repeat("x", 1025), " ", "  ", "\u00a0", "\u3000"} {
		_, err := b.Store(t.Context(), name, strings.NewReader("x"), backends.StoreOptions{Size: 1})
		wantClass(t, err, backends.ErrRefused)
		if !strings.Contains(err.Error(), "UTF-8") && !strings.Contains(err.Error(), "1024") && !strings.Contains(err.Error(), "white space") {
			t.Errorf("error %q does not say why", err)
		}
		wantClass(t, b.Remove(t.Context(), name, backends.Unconditional), backends.ErrRefused)
	}
	if reqs := c.take(); len(reqs) > 0 {
		t.Errorf("refusing names made requests %q", reqs)
	}
}

func TestLabels(t *testing.T) {
	h := newHarness(t, false, "")
	for _, label := range []string{
		"SHA256E-s10--abc.txt", "with space", " lead", "trail ", "100%", "%41", "what?", "=?utf-8?q?x?=",
		"caf\u00e9", "tab\tnl\n", "\xff\xfe", "a\x00b", strings.Repeat("k", 500),
	} {
		store(t, h.b, "f", []byte("x"), backends.StoreOptions{Size: 1, Label: label})
		if info, err := h.b.Stat(t.Context(), "f"); err != nil || info.Label != label {
			t.Errorf("label %q: Stat gives %q, %v", label, info.Label, err)
		}
		h.b.List(t.Context(), "", func(info backends.Info) error {
			if info.Label != label {
				t.Errorf("label %q: List gives %q", label, info.Label)
			}
			return nil
		})
	}
}

// RemoveDir removes everything below, directory markers included, and
// nothing beside.
func TestRemoveDir(t *testing.T) {
	forBoth(t, func(t *testing.T, h *harness) {
		b := h.open(t, nil)
		ctx := t.Context()
		for _, name := range []string{"d/a", "d/e/f", "dx", "d e/g"} {
			store(t, b, name, []byte(name), backends.StoreOptions{Size: int64(len(name))})
		}
		for _, marker := range []string{"d/", "d/e/"} {
			if _, err := h.client.PutObject(ctx, h.bucket, h.prefix+marker, strings.NewReader(""), 0, minio.PutObjectOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.RemoveDir(ctx, "d"); err != nil {
			t.Fatal(err)
		}
		entries, err := h.Entries(ctx)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(entries)
		if want := []string{"d e/g", "dx"}; !slices.Equal(entries, want) {
			t.Errorf("after RemoveDir(d): %q, want %q", entries, want)
		}
		if err := b.RemoveDir(ctx, "no/such"); err != nil {
			t.Errorf("RemoveDir of an absent directory: %v", err)
		}
	})
}

// List skips what is no export name (directory markers; MinIO refuses
// other invalid names outright), keys beside the prefix, reserved names.
func TestListSkipsForeignKeys(t *testing.T) {
	h := newHarness(t, false, "p/")
	ctx := t.Context()
	for _, key := range []string{"p/d/", "p/d/e/", "p/ok", "pother", "p/" + backends.ReservedPrefix + "-keys/k"} {
		if _, err := h.client.PutObject(ctx, h.bucket, key, strings.NewReader(""), 0, minio.PutObjectOptions{}); err != nil {
			t.Fatalf("put %q: %v", key, err)
		}
	}
	var names []string
	if err := h.b.List(ctx, "", func(info backends.Info) error {
		names = append(names, info.Name)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(names, []string{"ok"}) {
		t.Errorf("List yields %q, want only %q", names, "ok")
	}
}

// A source longer than its declared size stores nothing, whatever the size
// and path (empty, single PUT, multipart).
func TestStoreTooLong(t *testing.T) {
	h := newHarness(t, false, "")
	for _, size := range []int{0, 1, 6 << 20} {
		src := io.MultiReader(bytes.NewReader(make([]byte, size)), strings.NewReader("extra"))
		_, err := h.b.Store(t.Context(), "f", src, backends.StoreOptions{Size: int64(size)})
		if err == nil || errors.Is(err, backends.ErrConflict) || errors.Is(err, backends.ErrNotFound) {
			t.Errorf("Store of more than the declared %d bytes: %v, want an unclassified error", size, err)
		}
		wantAbsent(t, h.b, "f")
	}
	h.wantNoUploads(t)
}

// Listing MinIO takes list requests only: labels come with the listing.
func TestListRequests(t *testing.T) {
	forBoth(t, func(t *testing.T, h *harness) {
		b, c := h.counted(t, nil)
		for _, name := range []string{"a", "d/b", "d/c"} {
			store(t, b, name, []byte(name), backends.StoreOptions{Size: int64(len(name)), Label: "L" + name})
		}
		c.take()
		n := 0
		err := b.List(t.Context(), "", func(info backends.Info) error {
			if info.Label != "L"+info.Name {
				t.Errorf("List gives %+v", info)
			}
			n++
			return nil
		})
		if err != nil || n != 3 {
			t.Fatalf("List: %d names, %v", n, err)
		}
		for _, r := range c.take() {
			if !strings.HasPrefix(r, "GET ") || (!strings.Contains(r, "list-type=2") && !strings.Contains(r, "versions")) {
				t.Errorf("List made request %q", r)
			}
		}
	})
}

// On a versioned bucket, removing an absent name adds no delete marker.
func TestRemoveAbsentAddsNoMarker(t *testing.T) {
	h := newHarness(t, true, "")
	if err := h.b.Remove(t.Context(), "f", backends.Unconditional); err != nil {
		t.Fatal(err)
	}
	for v := range h.client.ListObjectsIter(t.Context(), h.bucket, minio.ListObjectsOptions{WithVersions: true, Recursive: true}) {
		t.Errorf("bucket holds %+v", v)
	}
}

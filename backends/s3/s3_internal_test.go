package s3

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
	"github.com/exporttree/git-annex-remote-exporttree/backends/s3/s3test"
	"github.com/minio/minio-go/v7"
)

func openInternal(t *testing.T, versioned bool) (*Backend, *minio.Client) {
	t.Helper()
	srv := s3test.Shared(t)
	bucket := srv.NewBucket(t, versioned)
	b, err := Open(t.Context(), Config{Endpoint: srv.Endpoint, Bucket: bucket, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, PartSize: MinPartSize})
	if err != nil {
		t.Fatal(err)
	}
	return b, srv.Client(t)
}

// removeExact deletes the version it was given even when a newer one has
// been stored since the check: the newer one stays current.
func TestRemoveExactLeavesNewerVersion(t *testing.T) {
	b, client := openInternal(t, true)
	ctx := t.Context()
	if _, err := b.Store(ctx, "f", strings.NewReader("old"), backends.StoreOptions{Size: 3}); err != nil {
		t.Fatal(err)
	}
	checked, err := b.head(ctx, "f", "")
	if err != nil {
		t.Fatal(err)
	}
	// A concurrent store lands after the check.
	newer, err := b.Store(ctx, "f", strings.NewReader("newer"), backends.StoreOptions{Size: 5})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.removeExact(ctx, "f", checked); err != nil {
		t.Fatal(err)
	}
	if info, err := b.Stat(ctx, "f"); err != nil || info.CID != newer {
		t.Fatalf("after removing the checked version: %+v, %v; want %s current", info, err, newer)
	}
	_, err = client.StatObject(ctx, b.bucket, "f", minio.StatObjectOptions{VersionID: checked.versionID})
	if !isAbsent(err) {
		t.Errorf("checked version %s still there: %v", checked.versionID, err)
	}
}

// Objects above the single-copy limit are renamed by a multipart copy,
// pinned to the checked version, label kept.
func TestRenameMultipartCopy(t *testing.T) {
	for _, versioned := range []bool{false, true} {
		b, client := openInternal(t, versioned)
		b.copyLimit, b.copyPartSize = MinPartSize, MinPartSize
		ctx := t.Context()
		data := bytes.Repeat([]byte("0123456789abcdef"), (12<<20)/16)
		cid, err := b.Store(ctx, "from", bytes.NewReader(data), backends.StoreOptions{Size: int64(len(data)), Label: "KEY"})
		if err != nil {
			t.Fatal(err)
		}
		err = b.Rename(ctx, "from", "to", backends.Matches(cid+"stale"), backends.Unconditional)
		if !errors.Is(err, backends.ErrConflict) {
			t.Fatalf("Rename with a stale CID: %v", err)
		}
		if err := b.Rename(ctx, "from", "to", backends.Matches(cid), backends.Unconditional); err != nil {
			t.Fatalf("Rename: %v", err)
		}
		if _, err := b.Stat(ctx, "from"); !errors.Is(err, backends.ErrNotFound) {
			t.Errorf("source after Rename: %v", err)
		}
		info, err := b.Stat(ctx, "to")
		if err != nil || info.Label != "KEY" || info.Size != int64(len(data)) {
			t.Fatalf("Stat(to): %+v, %v", info, err)
		}
		if !versioned && !strings.HasSuffix(strings.Split(string(info.CID), ":")[1], "-3") {
			t.Errorf("CID %s is not that of a 3-part copy", info.CID)
		}
		var buf bytes.Buffer
		if _, err := b.Retrieve(ctx, "to", info.CID, &buf); err != nil || !bytes.Equal(buf.Bytes(), data) {
			t.Errorf("Retrieve(to): %v, equal %v", err, bytes.Equal(buf.Bytes(), data))
		}
		for up := range client.ListIncompleteUploads(ctx, b.bucket, "", true) {
			t.Errorf("left an incomplete upload: %+v", up)
		}
	}
}

// A copy whose source changed after the check fails and changes nothing.
func TestCopyPinnedToCheckedSource(t *testing.T) {
	for _, limit := range []int64{MaxPartSize, MinPartSize} {
		b, client := openInternal(t, false)
		b.copyLimit, b.copyPartSize = limit, MinPartSize
		ctx := t.Context()
		data := bytes.Repeat([]byte("x"), 6<<20)
		if _, err := b.Store(ctx, "from", bytes.NewReader(data), backends.StoreOptions{Size: int64(len(data))}); err != nil {
			t.Fatal(err)
		}
		checked, err := b.head(ctx, "from", "")
		if err != nil {
			t.Fatal(err)
		}
		data[0] = 'y'
		if _, err := b.Store(ctx, "from", bytes.NewReader(data), backends.StoreOptions{Size: int64(len(data))}); err != nil {
			t.Fatal(err)
		}
		if limit == MaxPartSize {
			_, err = b.core.CopyObject(ctx, b.bucket, "from", b.bucket, "to",
				map[string]string{"x-amz-copy-source-if-match": checked.etag}, minio.CopySrcOptions{}, minio.PutObjectOptions{})
		} else {
			err = b.copyMultipart(ctx, "from", "to", "to", backends.Unconditional, checked, minio.PutObjectOptions{})
		}
		if !isConflict(err) {
			t.Errorf("copy of a changed source (limit %d): %v, want PreconditionFailed", limit, err)
		}
		if _, err := b.Stat(ctx, "to"); !errors.Is(err, backends.ErrNotFound) {
			t.Errorf("destination after a failed copy: %v", err)
		}
		for up := range client.ListIncompleteUploads(ctx, b.bucket, "", true) {
			t.Errorf("left an incomplete upload: %+v", up)
		}
	}
}

func isConflict(err error) bool { return errors.Is(classify("", "", err), backends.ErrConflict) }

func TestSourceReader(t *testing.T) {
	errSource := errors.New("broken")
	for _, tc := range []struct {
		what    string
		src     io.Reader
		want    int64
		wantErr error // nil: reads all of src
	}{
		{"exact", strings.NewReader("abcdef"), 6, nil},
		{"exact, byte by byte", iotest.OneByteReader(strings.NewReader("abcdef")), 6, nil},
		{"empty", strings.NewReader(""), 0, nil},
		{"unknown size", strings.NewReader("abcdef"), -1, nil},
		{"short", strings.NewReader("abc"), 6, io.ErrUnexpectedEOF},
		{"long", strings.NewReader("abcdefg"), 6, errTooLong},
		{"long, empty declared", strings.NewReader("a"), 0, errTooLong},
		{"long, with data early EOF", iotest.DataErrReader(strings.NewReader("abcdefg")), 6, errTooLong},
		{"failing", io.MultiReader(strings.NewReader("ab"), iotest.ErrReader(errSource)), 6, errSource},
		{"failing, unknown size", io.MultiReader(strings.NewReader("ab"), iotest.ErrReader(errSource)), -1, errSource},
	} {
		s := &sourceReader{r: tc.src, want: tc.want}
		got, err := io.ReadAll(s)
		switch {
		case tc.wantErr == nil && err != nil:
			t.Errorf("%s: %v", tc.what, err)
		case tc.wantErr != nil && !errors.Is(err, tc.wantErr):
			t.Errorf("%s: got (%q, %v), want %v", tc.what, got, err, tc.wantErr)
		case tc.wantErr != nil && !errors.Is(s.failed(), tc.wantErr):
			t.Errorf("%s: remembered %v, want %v", tc.what, s.failed(), tc.wantErr)
		case tc.wantErr == errTooLong && tc.want > 0 && int64(len(got)) >= tc.want:
			// The last declared byte must be withheld, or a PUT of
			// exactly the declared length could complete.
			t.Errorf("%s: handed on %d bytes before failing", tc.what, len(got))
		}
	}
}

func TestLabelEncoding(t *testing.T) {
	var all []byte
	for c := range 256 {
		all = append(all, byte(c))
	}
	for _, label := range []string{"", "SHA256E-s1--x.txt", string(all), "%", "%zz", "=?utf-8?q?x?="} {
		enc := encodeLabel(label)
		for i := 0; i < len(enc); i++ {
			if enc[i] <= ' ' || enc[i] >= 0x7f || enc[i] == '?' {
				t.Errorf("encodeLabel(%q) = %q has byte %q", label, enc, enc[i])
			}
		}
		if got := decodeLabel(enc); got != label {
			t.Errorf("decodeLabel(encodeLabel(%q)) = %q", label, got)
		}
	}
	if got := decodeLabel("100%"); got != "100%" {
		t.Errorf("decodeLabel of a foreign value %q = %q", "100%", got)
	}
}

func TestParseCID(t *testing.T) {
	for _, tc := range []struct {
		cid  backends.CID
		want expected
		ok   bool
	}{
		{cidOf("abc", "etag", 3), expected{version: "abc"}, true},
		{cidOf("", "d41d8cd98f00b204e9800998ecf8427e", 0), expected{etag: "d41d8cd98f00b204e9800998ecf8427e"}, true},
		{cidOf("null", "e-2", 10), expected{etag: "e-2", size: 10}, true},
		{"e:x:y", expected{}, false},
		{"e::1", expected{}, false},
		{"v:", expected{}, false},
		{"", expected{}, false},
	} {
		got, ok := parseCID(tc.cid)
		if ok != tc.ok || got != tc.want {
			t.Errorf("parseCID(%q) = %+v, %v; want %+v, %v", tc.cid, got, ok, tc.want, tc.ok)
		}
	}
}

// A conditional destination goes through a multipart copy whose completion
// carries the condition, for objects below and above the single-copy
// limit: a failed condition changes nothing and leaves no upload behind.
func TestRenameDestinationCondition(t *testing.T) {
	for _, size := range []int{0, 10, 12 << 20} {
		b, client := openInternal(t, true)
		b.copyLimit, b.copyPartSize = MinPartSize, MinPartSize
		ctx := t.Context()
		data := bytes.Repeat([]byte("f"), size)
		if _, err := b.Store(ctx, "from", bytes.NewReader(data), backends.StoreOptions{Size: int64(size), Label: "KEY"}); err != nil {
			t.Fatal(err)
		}
		stale, err := b.Store(ctx, "to", strings.NewReader("old"), backends.StoreOptions{Size: 3})
		if err != nil {
			t.Fatal(err)
		}
		cur, err := b.Store(ctx, "to", strings.NewReader("new"), backends.StoreOptions{Size: 3})
		if err != nil {
			t.Fatal(err)
		}
		for _, toCond := range []backends.Condition{backends.NothingThere, backends.Matches(stale)} {
			err := b.Rename(ctx, "from", "to", backends.Unconditional, toCond)
			if !errors.Is(err, backends.ErrConflict) || !strings.Contains(err.Error(), `"to"`) {
				t.Errorf("size %d, Rename with %s onto other content: %v, want a conflict on to", size, toCond, err)
			}
			if info, err := b.Stat(ctx, "to"); err != nil || info.CID != cur {
				t.Errorf("size %d: to after a failed Rename: %+v, %v", size, info, err)
			}
			if info, err := b.Stat(ctx, "from"); err != nil || info.Size != int64(size) {
				t.Errorf("size %d: from after a failed Rename: %+v, %v", size, info, err)
			}
		}
		if err := b.Rename(ctx, "from", "to", backends.Unconditional, backends.Matches(cur)); err != nil {
			t.Fatalf("size %d, Rename onto the matching content: %v", size, err)
		}
		var buf bytes.Buffer
		if _, err := b.Retrieve(ctx, "to", "", &buf); err != nil || !bytes.Equal(buf.Bytes(), data) {
			t.Errorf("size %d, Retrieve(to): %v, equal %v", size, err, bytes.Equal(buf.Bytes(), data))
		}
		if info, err := b.Stat(ctx, "to"); err != nil || info.Label != "KEY" {
			t.Errorf("size %d, Stat(to): %+v, %v", size, info, err)
		}
		if _, err := b.Stat(ctx, "from"); !errors.Is(err, backends.ErrNotFound) {
			t.Errorf("size %d, source after Rename: %v", size, err)
		}
		for up := range client.ListIncompleteUploads(ctx, b.bucket, "", true) {
			t.Errorf("size %d: left an incomplete upload: %+v", size, up)
		}
	}
}

package main

// The storage the session and race tests run on: a directory, or a bucket on
// a real MinIO, versioned or not (backends/s3/s3test). Each is seen two ways:
// the settings git-annex gives the program, and the direct access of another
// program that writes behind git-annex's back.

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exporttree/git-annex-remote-exporttree/backends/s3/s3test"
	"github.com/minio/minio-go/v7"
)

func TestMain(m *testing.M) { os.Exit(s3test.Main(m)) }

type storageKind struct {
	name      string
	s3        bool
	versioned bool
}

var storageKinds = []storageKind{
	{name: "directory"},
	{name: "s3", s3: true, versioned: true},
	{name: "s3-unversioned", s3: true},
}

// forEachStorage runs test once per kind of storage, each on fresh, empty
// storage. S3 kinds skip when MinIO is not installed (see s3test.Shared).
func forEachStorage(t *testing.T, test func(t *testing.T, st *testStorage)) {
	for _, kind := range storageKinds {
		t.Run(kind.name, func(t *testing.T) { test(t, newStorage(t, kind)) })
	}
}

// testStorage is one fresh storage. Its methods report failures with
// t.Errorf, so the race test's concurrent writer may call them too.
type testStorage struct {
	t      *testing.T
	kind   storageKind
	dir    string // the directory, or "" for S3
	srv    *s3test.Server
	client *minio.Client
	bucket string
}

func newStorage(t *testing.T, kind storageKind) *testStorage {
	st := &testStorage{t: t, kind: kind}
	if !kind.s3 {
		st.dir = t.TempDir()
		return st
	}
	st.srv = s3test.Shared(t)
	st.bucket = st.srv.NewBucket(t, kind.versioned)
	st.client = st.srv.Client(t)
	return st
}

// startSession runs the program on this storage, with extra settings.
func (st *testStorage) startSession(extra map[string]string) *annexSim {
	st.t.Helper()
	config := map[string]string{}
	for k, v := range extra {
		config[k] = v
	}
	if st.kind.s3 {
		config["backend"], config["endpoint"], config["bucket"] = "s3", st.srv.Endpoint, st.bucket
	} else {
		config["directory"] = st.dir
	}
	s := startSession(st.t, config)
	if st.kind.s3 {
		s.creds = st.srv.AccessKey + " " + st.srv.SecretKey
	}
	return s
}

// put writes content at name, replacing what is there (a write, a PUT), and
// returns the S3 version ID it made, if any.
func (st *testStorage) put(name, content string) (version string) {
	version, _ = st.write(name, content, false)
	return version
}

// create writes content at name only where nothing is (O_EXCL,
// If-None-Match), reporting whether it did.
func (st *testStorage) create(name, content string) (version string, created bool) {
	return st.write(name, content, true)
}

func (st *testStorage) write(name, content string, exclusive bool) (version string, wrote bool) {
	var err error
	if st.kind.s3 {
		var opts minio.PutObjectOptions
		if exclusive {
			opts.SetMatchETagExcept("*")
		}
		var info minio.UploadInfo
		info, err = st.client.PutObject(context.Background(), st.bucket, name, strings.NewReader(content), int64(len(content)), opts)
		var resp minio.ErrorResponse
		if exclusive && errors.As(err, &resp) && resp.Code == "PreconditionFailed" {
			return "", false
		}
		version = info.VersionID
	} else {
		p := filepath.Join(st.dir, filepath.FromSlash(name))
		flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
		if exclusive {
			flags = os.O_WRONLY | os.O_CREATE | os.O_EXCL
		}
		os.MkdirAll(filepath.Dir(p), 0o755)
		if !exclusive {
			os.Chmod(p, 0o644) // exported files may be read-only
		}
		var f *os.File
		f, err = os.OpenFile(p, flags, 0o644)
		if exclusive && errors.Is(err, fs.ErrExist) {
			return "", false
		}
		if err == nil {
			_, err = f.WriteString(content)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
	}
	if err != nil {
		st.t.Errorf("another program writing %s: %v", name, err)
		return "", false
	}
	return version, true
}

// remove removes name (on a versioned bucket: a delete marker).
func (st *testStorage) remove(name string) {
	var err error
	if st.kind.s3 {
		err = st.client.RemoveObject(context.Background(), st.bucket, name, minio.RemoveObjectOptions{})
	} else if err = os.Remove(filepath.Join(st.dir, filepath.FromSlash(name))); errors.Is(err, fs.ErrNotExist) {
		err = nil
	}
	if err != nil {
		st.t.Errorf("another program removing %s: %v", name, err)
	}
}

// read returns the content at name now, or exactly the S3 version when
// version is not ""; ok is false when there is none.
func (st *testStorage) read(name, version string) (content string, ok bool) {
	var data []byte
	var err error
	if st.kind.s3 {
		var obj *minio.Object
		obj, err = st.client.GetObject(context.Background(), st.bucket, name, minio.GetObjectOptions{VersionID: version})
		if err == nil {
			data, err = io.ReadAll(obj)
			obj.Close()
		}
		var resp minio.ErrorResponse
		if errors.As(err, &resp) && (resp.Code == "NoSuchKey" || resp.Code == "NoSuchVersion" || resp.StatusCode == 405) {
			return "", false // absent, or a delete marker
		}
	} else {
		data, err = os.ReadFile(filepath.Join(st.dir, filepath.FromSlash(name)))
		if errors.Is(err, fs.ErrNotExist) {
			return "", false
		}
	}
	if err != nil {
		st.t.Errorf("reading %s: %v", name, err)
		return "", false
	}
	return string(data), true
}

// expectContent fails t unless name holds want.
func (st *testStorage) expectContent(name, want string) {
	st.t.Helper()
	if got, ok := st.read(name, ""); !ok || got != want {
		st.t.Fatalf("%s holds %q (present: %v), want %q", name, got, ok, want)
	}
}

// expectAbsent fails t unless nothing is at name.
func (st *testStorage) expectAbsent(name string) {
	st.t.Helper()
	if got, ok := st.read(name, ""); ok {
		st.t.Fatalf("%s holds %q, want nothing", name, got)
	}
}

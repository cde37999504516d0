package testscript_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/exporttree/git-annex-remote-exporttree/backends/s3/s3test"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/rogpeppe/go-internal/testscript"
)

// A storage kind is where the end-to-end scripts export to. Every script
// runs once per git-annex version and storage kind; the scripts name a
// remote's storage only through the commands below.
type storageKind struct {
	name      string // a script condition: directory, s3
	s3        bool
	versioned bool
}

var storageKinds = []storageKind{
	{name: "directory"},
	{name: "s3", s3: true, versioned: true},
	{name: "s3-unversioned", s3: true},
}

// scriptStorage is one script's view of its kind of storage.
type scriptStorage struct {
	kind storageKind
	srv  *s3test.Server // nil for directory
}

func storageOf(ts *testscript.TestScript) *scriptStorage {
	kind := ts.Getenv("STORAGE_KIND")
	for _, k := range storageKinds {
		if k.name == kind {
			st := &scriptStorage{kind: k}
			if k.s3 {
				st.srv = &s3test.Server{
					Endpoint:  ts.Getenv("S3_ENDPOINT"),
					AccessKey: ts.Getenv("AWS_ACCESS_KEY_ID"),
					SecretKey: ts.Getenv("AWS_SECRET_ACCESS_KEY"),
				}
			}
			return st
		}
	}
	ts.Fatalf("no storage kind in this script's environment (STORAGE_KIND=%q)", kind)
	return nil
}

var bucketSeq atomic.Uint64

// initremote NAME [PARAM...]: git annex initremote NAME of this program,
// on fresh storage of the script's kind, with the extra parameters.
func cmdInitremote(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 1 {
		ts.Fatalf("usage: [!] initremote NAME [PARAM...]")
	}
	st := storageOf(ts)
	name := args[0]
	params := []string{"annex", "initremote", name, "type=external", "externaltype=exporttree", "encryption=none"}
	if st.kind.s3 {
		bucket := fmt.Sprintf("e2e-%d-%d", os.Getpid(), bucketSeq.Add(1))
		c := st.client(ts)
		ctx := context.Background()
		ts.Check(c.MakeBucket(ctx, bucket, minio.MakeBucketOptions{}))
		if st.kind.versioned {
			ts.Check(c.EnableVersioning(ctx, bucket))
		}
		ts.Setenv("STORE_"+name, bucket)
		params = append(params, "backend=s3", "endpoint="+st.srv.Endpoint, "bucket="+bucket)
	} else {
		dir := filepath.Join(ts.Getenv("WORK"), "store-"+name)
		ts.Check(os.MkdirAll(dir, 0o755))
		ts.Setenv("STORE_"+name, dir)
		params = append(params, "directory="+dir)
	}
	err := ts.Exec("git", append(params, args[1:]...)...)
	if (err != nil) != neg {
		ts.Fatalf("initremote: %v", err)
	}
}

func (st *scriptStorage) client(ts *testscript.TestScript) *minio.Client {
	c, err := minio.New(strings.TrimPrefix(st.srv.Endpoint, "http://"), &minio.Options{
		Creds:        credentials.NewStaticV4(st.srv.AccessKey, st.srv.SecretKey, ""),
		BucketLookup: minio.BucketLookupPath,
	})
	ts.Check(err)
	return c
}

// contents returns every file the remote NAME's storage holds, by name.
func (st *scriptStorage) contents(ts *testscript.TestScript, remote string) (files map[string][]byte, emptyDirs []string) {
	where := ts.Getenv("STORE_" + remote)
	if where == "" {
		ts.Fatalf("no remote %q was made with initremote", remote)
	}
	files = map[string][]byte{}
	if !st.kind.s3 {
		ts.Check(filepath.Walk(where, func(p string, info os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(where, p)
			switch {
			case info.IsDir():
				entries, err := os.ReadDir(p)
				if err == nil && len(entries) == 0 && rel != "." {
					emptyDirs = append(emptyDirs, rel)
				}
			case !info.Mode().IsRegular():
				ts.Fatalf("not a regular file in the export: %q (%v)", rel, info.Mode())
			default:
				data, err := os.ReadFile(p)
				ts.Check(err)
				files[rel] = data
			}
			return nil
		}))
		return files, nil
	}
	c := st.client(ts)
	ctx := context.Background()
	for obj := range c.ListObjects(ctx, where, minio.ListObjectsOptions{Recursive: true}) {
		ts.Check(obj.Err)
		o, err := c.GetObject(ctx, where, obj.Key, minio.GetObjectOptions{})
		ts.Check(err)
		data, err := io.ReadAll(o)
		o.Close()
		ts.Check(err)
		files[obj.Key] = data
	}
	return files, nil
}

// storeeq NAME WORKTREE: the storage of remote NAME holds exactly the work
// tree's files (outside .git), byte for byte, with nothing else: no extra
// files, no temporaries, no empty directories.
func cmdStoreeq(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: storeeq NAME WORKTREE")
	}
	st := storageOf(ts)
	got, emptyDirs := st.contents(ts, args[0])
	work := ts.MkAbs(args[1])
	var diffs []string
	for _, d := range emptyDirs {
		diffs = append(diffs, fmt.Sprintf("empty directory left in export: %q", d))
	}
	want := 0
	ts.Check(filepath.Walk(work, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(work, p)
		if info.IsDir() {
			if rel == ".git" {
				return filepath.SkipDir
			}
			return nil
		}
		want++
		wantData, err := os.ReadFile(p) // follows annex symlinks to the content
		if err != nil {
			return fmt.Errorf("work tree file %q has no local content: %w", rel, err)
		}
		gotData, ok := got[filepath.ToSlash(rel)]
		switch {
		case !ok:
			diffs = append(diffs, fmt.Sprintf("missing from export: %q", rel))
		case !bytes.Equal(gotData, wantData):
			diffs = append(diffs, fmt.Sprintf("content differs: %q (%d bytes exported, %d in tree)", rel, len(gotData), len(wantData)))
		}
		delete(got, filepath.ToSlash(rel))
		return nil
	}))
	for name := range got {
		diffs = append(diffs, fmt.Sprintf("extra file in export: %q", name))
	}
	if len(diffs) > 0 {
		sort.Strings(diffs)
		ts.Fatalf("export differs from the tree:\n%s", strings.Join(diffs, "\n"))
	}
	ts.Logf("export equals the tree: %d files", want)
}

// storeput NAME PATH FILE: another tool writes FILE's content at PATH in the
// storage of remote NAME, behind git-annex's back.
func cmdStoreput(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: storeput NAME PATH FILE")
	}
	st := storageOf(ts)
	where := ts.Getenv("STORE_" + args[0])
	data := []byte(ts.ReadFile(args[2]))
	if !st.kind.s3 {
		p := filepath.Join(where, filepath.FromSlash(args[1]))
		ts.Check(os.MkdirAll(filepath.Dir(p), 0o755))
		os.Chmod(p, 0o644) // exported files may be read-only
		ts.Check(os.WriteFile(p, data, 0o644))
		return
	}
	_, err := st.client(ts).PutObject(context.Background(), where, args[1], bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{})
	ts.Check(err)
}

// storerm NAME PATH: another tool removes PATH from the storage of remote
// NAME.
func cmdStorerm(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: storerm NAME PATH")
	}
	st := storageOf(ts)
	where := ts.Getenv("STORE_" + args[0])
	if !st.kind.s3 {
		ts.Check(os.Remove(filepath.Join(where, filepath.FromSlash(args[1]))))
		return
	}
	ts.Check(st.client(ts).RemoveObject(context.Background(), where, args[1], minio.RemoveObjectOptions{}))
}

// storemv NAME FROM TO: another tool renames FROM to TO in the storage of
// remote NAME (mv, or a server-side copy and a delete).
func cmdStoremv(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: storemv NAME FROM TO")
	}
	st := storageOf(ts)
	where := ts.Getenv("STORE_" + args[0])
	if !st.kind.s3 {
		to := filepath.Join(where, filepath.FromSlash(args[2]))
		ts.Check(os.MkdirAll(filepath.Dir(to), 0o755))
		ts.Check(os.Rename(filepath.Join(where, filepath.FromSlash(args[1])), to))
		return
	}
	c, ctx := st.client(ts), context.Background()
	_, err := c.CopyObject(ctx, minio.CopyDestOptions{Bucket: where, Object: args[2]},
		minio.CopySrcOptions{Bucket: where, Object: args[1]})
	ts.Check(err)
	ts.Check(c.RemoveObject(ctx, where, args[1], minio.RemoveObjectOptions{}))
}

// storecmp NAME PATH FILE: the storage of remote NAME holds FILE's content
// at PATH.
func cmdStorecmp(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: storecmp NAME PATH FILE")
	}
	files, _ := storageOf(ts).contents(ts, args[0])
	got, ok := files[args[1]]
	if !ok {
		ts.Fatalf("%s holds nothing at %q", args[0], args[1])
	}
	if want := ts.ReadFile(args[2]); string(got) != want {
		ts.Fatalf("%s holds %q at %q, want %q", args[0], got, args[1], want)
	}
}

// storeputtree NAME DIR: another tool copies every file under DIR into the
// storage of remote NAME, under the same names.
func cmdStoreputtree(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: storeputtree NAME DIR")
	}
	root := ts.MkAbs(args[1])
	ts.Check(filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		cmdStoreput(ts, false, []string{args[0], filepath.ToSlash(rel), p})
		return nil
	}))
}

package main

// Session tests: the program driven over its stdin/stdout the way git-annex
// drives it, on real storage, where a static transcript cannot follow
// (content identifiers are only known at run time).

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// annexSim plays git-annex against run().
type annexSim struct {
	t      *testing.T
	in     *io.PipeWriter
	out    *bufio.Reader
	config map[string]string
	creds  string // the answer to GETCREDS: "user password"
	lines  chan string
}

func startSession(t *testing.T, config map[string]string) *annexSim {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(nil, inR, outW, io.Discard)
		outW.Close()
	}()
	s := &annexSim{t: t, in: inW, out: bufio.NewReader(outR), config: config, lines: make(chan string)}
	go func() {
		defer close(s.lines)
		for {
			line, err := s.out.ReadString('\n')
			if err != nil {
				return
			}
			s.lines <- strings.TrimSuffix(line, "\n")
		}
	}()
	t.Cleanup(func() {
		inW.Close()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("exit code %d", code)
			}
		case <-time.After(10 * time.Second):
			t.Error("the program did not exit at end of input")
		}
	})
	s.expect("VERSION 2")
	s.send("EXTENSIONS INFO")
	s.expect("EXTENSIONS INFO")
	return s
}

func (s *annexSim) send(line string) {
	s.t.Helper()
	if _, err := io.WriteString(s.in, line+"\n"); err != nil {
		s.t.Fatal(err)
	}
}

// next returns the next line that is not a query or a note: GETCONFIG is
// answered from the configuration, DEBUG and INFO are skipped.
func (s *annexSim) next() string {
	s.t.Helper()
	for {
		select {
		case line, ok := <-s.lines:
			if !ok {
				s.t.Fatal("the program closed its output")
			}
			switch {
			case strings.HasPrefix(line, "GETCONFIG "):
				s.send("VALUE " + s.config[strings.TrimPrefix(line, "GETCONFIG ")])
			case strings.HasPrefix(line, "GETCREDS "):
				if s.creds == "" {
					s.send("CREDS  ") // none stored
				} else {
					s.send("CREDS " + s.creds)
				}
			case strings.HasPrefix(line, "DEBUG "), strings.HasPrefix(line, "INFO "), strings.HasPrefix(line, "PROGRESS "):
			default:
				return line
			}
		case <-time.After(10 * time.Second):
			s.t.Fatal("no answer within 10s")
		}
	}
}

func (s *annexSim) expect(want string) {
	s.t.Helper()
	if got := s.next(); got != want {
		s.t.Fatalf("got %q, want %q", got, want)
	}
}

// exportStore exports file's content under name as key and expects success.
func (s *annexSim) exportStore(name, key, file string) {
	s.t.Helper()
	s.send("EXPORT " + name)
	s.send("TRANSFEREXPORT STORE " + key + " " + file)
	s.expect("TRANSFER-SUCCESS STORE " + key)
}

// expectPrefix returns the rest of the next line after prefix.
func (s *annexSim) expectPrefix(prefix string) string {
	s.t.Helper()
	got := s.next()
	rest, ok := strings.CutPrefix(got, prefix)
	if !ok {
		s.t.Fatalf("got %q, want %q...", got, prefix)
	}
	return rest
}

func writeFile(t *testing.T, p, content string) {
	t.Helper()
	os.Chmod(p, 0o644)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// importTemp is the file git-annex 10.20261026 retrieves listed content
// into during an import: .git/annex/tmp/CID-s<size>--<identifier>, escaped
// as a key file name. Written out here, not computed by the program's own
// code, for the identifiers both backends make (letters, digits, "-._:",
// at most 64 bytes), where the only escape is ':' as "&c".
func importTemp(t *testing.T, dir string, size int, cid string) string {
	t.Helper()
	if len(cid) > 64 || strings.Trim(cid, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._:") != "" {
		t.Fatalf("importTemp cannot name identifier %q", cid)
	}
	return filepath.Join(dir, fmt.Sprintf("CID-s%d--%s", size, strings.ReplaceAll(cid, ":", "&c")))
}

// twoVersions writes two local files for git-annex to hand over: v1 holds
// "version 1\n" (key SHA256E-s10--one in the tests), v2 "version 2!\n"
// (SHA256E-s11--two).
func twoVersions(t *testing.T) (v1, v2 string) {
	dir := t.TempDir()
	v1, v2 = filepath.Join(dir, "v1"), filepath.Join(dir, "v2")
	writeFile(t, v1, "version 1\n")
	writeFile(t, v2, "version 2!\n")
	return v1, v2
}

// The conditional draft never overwrites, retrieves or removes content that
// changed behind its back, and acts when the content is what was expected.
func TestConditionalDraft(t *testing.T) {
	forEachStorage(t, func(t *testing.T, st *testStorage) {
		v1, v2 := twoVersions(t)
		dir := filepath.Dir(v1) // for what is retrieved
		s := st.startSession(nil)
		const k1, k2 = "SHA256E-s10--one", "SHA256E-s11--two"
		const target = "sub/a.txt"

		s.send("LOCATION " + target)
		s.send("NOTHINGEXPECTED")
		s.send("STOREEXPORTEXPECTED " + k1 + " " + v1)
		cid1 := s.expectPrefix("STORE-SUCCESS " + k1 + " ")
		st.expectContent(target, "version 1\n")

		// Something is there now: NOTHINGEXPECTED refuses.
		s.send("LOCATION " + target)
		s.send("NOTHINGEXPECTED")
		s.send("STOREEXPORTEXPECTED " + k2 + " " + v2)
		s.expectPrefix("STORE-FAILURE " + k2 + " ")

		// Another program rewrites the file, same size: cid1 is stale, and
		// nothing git-annex asks on its strength touches the new content.
		st.put(target, "VERSION 1\n")
		s.send("LOCATION " + target)
		s.send("EXPECTED " + cid1)
		s.send("STOREEXPORTEXPECTED " + k2 + " " + v2)
		s.expectPrefix("STORE-FAILURE " + k2 + " ")
		s.send("LOCATION " + target)
		s.send("EXPECTED " + cid1)
		s.send("CHECKPRESENTEXPORTEXPECTED " + k1)
		s.expect("CHECKPRESENT-FAILURE " + k1)
		s.send("LOCATION " + target)
		s.send("EXPECTED " + cid1)
		s.send("RETRIEVEEXPORTEXPECTED " + filepath.Join(dir, "back"))
		s.expectPrefix("RETRIEVE-FAILURE ")
		s.send("LOCATION " + target)
		s.send("EXPECTED " + cid1)
		s.send("REMOVEEXPORTEXPECTED " + k1)
		s.expectPrefix("REMOVE-FAILURE " + k1 + " ")
		st.expectContent(target, "VERSION 1\n")

		// Learn the new content's identifier by listing, as import does.
		s.send("LISTIMPORTABLECONTENTS")
		s.expect("IMPORTABLECONTENT 10 " + target)
		cid2 := s.expectPrefix("IMPORTABLECONTENTIDENTIFIER ")
		s.expect("LISTIMPORTABLECONTENTS-SUCCESS")
		if cid2 == cid1 {
			t.Fatalf("a same-size rewrite kept the content identifier %s", cid1)
		}

		// Expecting it (among others), every request acts.
		s.send("LOCATION " + target)
		s.send("EXPECTED " + cid1)
		s.send("EXPECTED " + cid2)
		s.send("RETRIEVEEXPORTEXPECTED " + filepath.Join(dir, "back"))
		s.expect("RETRIEVE-SUCCESS")
		if got := readFile(t, filepath.Join(dir, "back")); got != "VERSION 1\n" {
			t.Fatalf("retrieved %q", got)
		}
		s.send("LOCATION " + target)
		s.send("EXPECTED " + cid2)
		s.send("STOREEXPORTEXPECTED " + k2 + " " + v2)
		cid3 := s.expectPrefix("STORE-SUCCESS " + k2 + " ")
		st.expectContent(target, "version 2!\n")
		s.send("LOCATION " + target)
		s.send("EXPECTED " + cid3)
		s.send("CHECKPRESENTEXPORTEXPECTED " + k2)
		s.expect("CHECKPRESENT-SUCCESS " + k2)
		s.send("REMOVEEXPORTDIRECTORYWHENEMPTY sub")
		s.expect("REMOVEEXPORTDIRECTORY-FAILURE")
		s.send("LOCATION " + target)
		s.send("EXPECTED " + cid3)
		s.send("REMOVEEXPORTEXPECTED " + k2)
		s.expect("REMOVE-SUCCESS " + k2)
		st.expectAbsent(target)
		// Removing what is already gone succeeds; so does an empty directory.
		s.send("LOCATION " + target)
		s.send("EXPECTED " + cid3)
		s.send("REMOVEEXPORTEXPECTED " + k2)
		s.expect("REMOVE-SUCCESS " + k2)
		s.send("REMOVEEXPORTDIRECTORYWHENEMPTY sub")
		s.expect("REMOVEEXPORTDIRECTORY-SUCCESS")
	})
}

// A file changed between the listing and its retrieval is never delivered
// as the listed content: git-annex does not check what arrives during a
// plain import. Replaced by content of another size, and of the same size.
func TestRetrieveImportChangedSinceListing(t *testing.T) {
	const listed = "listed content\n"
	for _, tc := range []struct{ name, replacement string }{
		{"other size", "listed content, then more\n"},
		{"same size", "LISTED CONTENT\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			forEachStorage(t, func(t *testing.T, st *testStorage) {
				dir := t.TempDir()
				st.put("f.txt", listed)
				s := st.startSession(nil)
				s.send("LISTIMPORTABLECONTENTS")
				s.expect(fmt.Sprintf("IMPORTABLECONTENT %d f.txt", len(listed)))
				cid := s.expectPrefix("IMPORTABLECONTENTIDENTIFIER ")
				s.expect("LISTIMPORTABLECONTENTS-SUCCESS")

				// Retrieval into git-annex's import temporary, named after
				// the listing.
				dest := importTemp(t, dir, len(listed), cid)
				s.send("IMPORT f.txt")
				s.send("RETRIEVEIMPORT " + dest)
				s.expect("RETRIEVEIMPORT-SUCCESS")
				if got := readFile(t, dest); got != listed {
					t.Fatalf("retrieved %q", got)
				}
				os.Remove(dest)

				// Another program rewrites it before git-annex retrieves.
				st.put("f.txt", tc.replacement)
				s.send("IMPORT f.txt")
				s.send("RETRIEVEIMPORT " + dest)
				if reason := s.expectPrefix("RETRIEVEIMPORT-FAILURE "); !strings.Contains(reason, "changed since it was listed") {
					t.Errorf("reason %q does not say the file changed", reason)
				}
				if _, err := os.Stat(dest); !errors.Is(err, fs.ErrNotExist) {
					t.Fatalf("something was delivered: %v", err)
				}
				if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) > 0 {
					t.Fatalf("left behind: %q", left)
				}
				// Outside an import (get, fsck: the destination is named
				// after the key), git-annex verifies against the key itself.
				keyDest := filepath.Join(dir, "SHA256E-s15--x.txt")
				s.send("IMPORT f.txt")
				s.send("RETRIEVEIMPORT " + keyDest)
				s.expect("RETRIEVEIMPORT-SUCCESS")
				if got := readFile(t, keyDest); got != tc.replacement {
					t.Fatalf("retrieved %q, want the current %q", got, tc.replacement)
				}
			})
		})
	}
}

// Content this remote exported under a key IMPORTKEY will not answer (a
// WORM key, the GIT key of a file kept in git) is imported under the SHA256
// key IMPORTKEY computes; fsck then asks for that key, and the untouched
// file must be present under it, in the import interface and in the
// conditional draft.
func TestCheckPresentUnderImportedKey(t *testing.T) {
	sum := sha256.Sum256([]byte("version 1\n"))
	imported := "SHA256-s10--" + hex.EncodeToString(sum[:])
	for _, stored := range []string{"WORM-s10-m1--a.txt", "GIT--0123456789abcdef0123456789abcdef01234567"} {
		t.Run(stored, func(t *testing.T) {
			forEachStorage(t, func(t *testing.T, st *testStorage) {
				v1, _ := twoVersions(t)
				s := st.startSession(nil)
				s.exportStore("a.txt", stored, v1)
				s.send("LISTIMPORTABLECONTENTS")
				s.expect("IMPORTABLECONTENT 10 a.txt")
				cid := s.expectPrefix("IMPORTABLECONTENTIDENTIFIER ")
				s.expect("LISTIMPORTABLECONTENTS-SUCCESS")
				s.send("IMPORT a.txt")
				s.send("IMPORTKEY 10 " + cid)
				s.expect("IMPORTKEY-SUCCESS " + imported)

				s.send("IMPORT a.txt")
				s.send("CHECKPRESENTIMPORT " + imported)
				s.expect("CHECKPRESENT-SUCCESS " + imported)
				s.send("LOCATION a.txt")
				s.send("EXPECTED " + cid)
				s.send("CHECKPRESENTEXPORTEXPECTED " + imported)
				s.expect("CHECKPRESENT-SUCCESS " + imported)

				// A key of the same hash and another digest is not there.
				other := "SHA256E-s10--" + strings.Repeat("0", 64) + ".txt"
				s.exportStore("b.txt", other, v1)
				s.send("IMPORT b.txt")
				s.send("CHECKPRESENTIMPORT " + imported)
				s.expect("CHECKPRESENT-FAILURE " + imported)
			})
		})
	}
}

// WHEREIS gives the public URL of a key stored in a bucket with publicurl,
// and nothing for an absent key or without publicurl.
func TestWhereIsPublicURL(t *testing.T) {
	forEachStorage(t, func(t *testing.T, st *testStorage) {
		s := st.startSession(map[string]string{"publicurl": "https://cdn.example.com/files"})
		s.send("PREPARE")
		s.expect("PREPARE-SUCCESS")
		file := filepath.Join(t.TempDir(), "content")
		writeFile(t, file, "public!")
		const key = "SHA256E-s7--5e4ec48e8be4f8c8b2b1b0ee2f79fb2dbbdb9c38b5fb3a8c2a2f2a60e8bc2a1f.txt"
		s.send("TRANSFER STORE " + key + " " + file)
		s.expect("TRANSFER-SUCCESS STORE " + key)
		s.send("WHEREIS " + key)
		if st.kind.s3 {
			s.expect("WHEREIS-SUCCESS https://cdn.example.com/files/" + keyName(key))
		} else {
			s.expect("WHEREIS-FAILURE") // publicurl is an S3 setting
		}
		s.send("WHEREIS SHA256E-s1--absent")
		s.expect("WHEREIS-FAILURE")
	})
}

// An export over content this remote stored earlier at the same name (git
// annex export usually removes it first, but need not) replaces it whole:
// the first, optimistic store finds the name taken, and the second reads
// the source again from its start.
func TestExportOverOwnContent(t *testing.T) {
	forEachStorage(t, func(t *testing.T, st *testStorage) {
		v1, v2 := twoVersions(t)
		s := st.startSession(nil)
		s.exportStore("sub/a.txt", "SHA256E-s10--one", v1)
		s.exportStore("sub/a.txt", "SHA256E-s11--two", v2)
		st.expectContent("sub/a.txt", "version 2!\n")
	})
}

// A file another program wrote is not the key's content because its size
// matches: where the backend records keys, CHECKPRESENTEXPORT answers
// present only for content that carries the key, so git-annex uploads
// (and the guard then refuses to overwrite) instead of believing the name
// holds it.
func TestCheckPresentForeignSameSize(t *testing.T) {
	forEachStorage(t, func(t *testing.T, st *testStorage) {
		v1, _ := twoVersions(t)
		st.put("a.txt", "VERSION 1\n") // the key's 10 bytes, other content
		s := st.startSession(nil)
		s.send("EXPORT a.txt")
		s.send("CHECKPRESENTEXPORT SHA256E-s10--one")
		s.expect("CHECKPRESENT-FAILURE SHA256E-s10--one")
		s.exportStore("b.txt", "SHA256E-s10--one", v1)
		s.send("EXPORT b.txt")
		s.send("CHECKPRESENTEXPORT SHA256E-s10--one")
		s.expect("CHECKPRESENT-SUCCESS SHA256E-s10--one")
	})
}

// REMOVEEXPORTDIRECTORY under the guard removes what this remote stored
// and leaves what another program wrote there, answering success: git-annex
// sends it once its own files there are gone (after a deletion, and between
// the two phases of a swap), and a file of someone else's is no reason to
// fail the export nor one to destroy. Without the guard the whole directory
// goes, as git-annex's protocol allows.
func TestRemoveExportDirectoryKeepsForeignFiles(t *testing.T) {
	forEachStorage(t, func(t *testing.T, st *testStorage) {
		v1, v2 := twoVersions(t)
		s := st.startSession(nil)
		s.exportStore("sub/a.txt", "SHA256E-s10--one", v1)
		s.exportStore("sub/deeper/b.txt", "SHA256E-s11--two", v2)
		st.put("sub/notes.txt", "notes of another program\n")
		s.send("REMOVEEXPORTDIRECTORY sub")
		s.expect("REMOVEEXPORTDIRECTORY-SUCCESS")
		st.expectContent("sub/notes.txt", "notes of another program\n")
		st.expectAbsent("sub/a.txt")
		st.expectAbsent("sub/deeper/b.txt")

		// Once only this remote's files are left, the directory goes.
		st.remove("sub/notes.txt")
		s.exportStore("sub/c.txt", "SHA256E-s10--one", v1)
		s.send("REMOVEEXPORTDIRECTORY sub")
		s.expect("REMOVEEXPORTDIRECTORY-SUCCESS")
		st.expectAbsent("sub/c.txt")
		if !st.kind.s3 {
			if _, err := os.Stat(filepath.Join(st.dir, "sub")); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("sub is still there: %v", err)
			}
		}

		unguarded := st.startSession(map[string]string{"guardexport": "no"})
		st.put("sub/notes.txt", "notes of another program\n")
		unguarded.send("REMOVEEXPORTDIRECTORY sub")
		unguarded.expect("REMOVEEXPORTDIRECTORY-SUCCESS")
		st.expectAbsent("sub/notes.txt")
	})
}

// Storage this remote may only read (a public bucket without credentials)
// serves everything that reads: initremote of an importtree remote, and
// retrieval and presence for an export remote; initremote of an export
// remote fails there at once, and a store fails with a reason.
func TestReadOnlyStorage(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	for _, kind := range storageKinds {
		if !kind.s3 {
			continue // root, which runs the tests here, may write anywhere
		}
		t.Run(kind.name, func(t *testing.T) {
			st := newStorage(t, kind)
			v1, _ := twoVersions(t)
			s := st.startSession(nil)
			s.exportStore("a.txt", "SHA256E-s10--one", v1)
			policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["*"]},` +
				`"Action":["s3:GetBucketLocation","s3:ListBucket","s3:ListBucketVersions","s3:GetBucketVersioning","s3:GetObject","s3:GetObjectVersion"],` +
				`"Resource":["arn:aws:s3:::` + st.bucket + `","arn:aws:s3:::` + st.bucket + `/*"]}]}`
			if err := st.client.SetBucketPolicy(t.Context(), st.bucket, policy); err != nil {
				t.Fatal(err)
			}
			anonymous := func(extra map[string]string) *annexSim {
				s := st.startSession(extra)
				s.creds = ""
				return s
			}

			exp := anonymous(map[string]string{"exporttree": "yes"})
			exp.send("INITREMOTE")
			exp.expectPrefix("INITREMOTE-FAILURE ")

			imp := anonymous(map[string]string{"importtree": "yes"})
			imp.send("INITREMOTE")
			imp.expect("INITREMOTE-SUCCESS")
			imp.send("LISTIMPORTABLECONTENTS")
			imp.expect("IMPORTABLECONTENT 10 a.txt")
			imp.expectPrefix("IMPORTABLECONTENTIDENTIFIER ")
			imp.expect("LISTIMPORTABLECONTENTS-SUCCESS")

			get := anonymous(map[string]string{"exporttree": "yes"})
			get.send("PREPARE")
			get.expect("PREPARE-SUCCESS")
			get.send("EXPORT a.txt")
			get.send("CHECKPRESENTEXPORT SHA256E-s10--one")
			get.expect("CHECKPRESENT-SUCCESS SHA256E-s10--one")
			dest := filepath.Join(t.TempDir(), "got")
			get.send("EXPORT a.txt")
			get.send("TRANSFEREXPORT RETRIEVE SHA256E-s10--one " + dest)
			get.expect("TRANSFER-SUCCESS RETRIEVE SHA256E-s10--one")
			if got := readFile(t, dest); got != "version 1\n" {
				t.Errorf("retrieved %q", got)
			}
			get.send("EXPORT b.txt")
			get.send("TRANSFEREXPORT STORE SHA256E-s10--one " + v1)
			get.expectPrefix("TRANSFER-FAILURE STORE SHA256E-s10--one ")
		})
	}
}

// A REMOVEEXPORT or RENAMEEXPORT that names another key than the one this
// remote stored at the name (git-annex replaying the plan of an export that
// failed part-way) leaves the file alone: it is the content of another file
// of the tree, exported there by the earlier run.
func TestRemoveAndRenameKeepOtherKeysContent(t *testing.T) {
	forEachStorage(t, func(t *testing.T, st *testStorage) {
		v1, v2 := twoVersions(t)
		s := st.startSession(nil)
		s.exportStore("a.txt", "SHA256E-s11--two", v2)
		s.send("EXPORT a.txt")
		s.send("RENAMEEXPORT SHA256E-s10--one tmp.txt")
		s.expect("RENAMEEXPORT-FAILURE SHA256E-s10--one")
		s.send("EXPORT a.txt")
		s.send("REMOVEEXPORT SHA256E-s10--one")
		s.expect("REMOVE-SUCCESS SHA256E-s10--one")
		st.expectContent("a.txt", "version 2!\n")
		st.expectAbsent("tmp.txt")

		// The key that is there is still removed and renamed as asked.
		s.exportStore("b.txt", "SHA256E-s10--one", v1)
		s.send("EXPORT b.txt")
		s.send("RENAMEEXPORT SHA256E-s10--one c.txt")
		s.expect("RENAMEEXPORT-SUCCESS SHA256E-s10--one")
		st.expectContent("c.txt", "version 1\n")
		s.send("EXPORT a.txt")
		s.send("REMOVEEXPORT SHA256E-s11--two")
		s.expect("REMOVE-SUCCESS SHA256E-s11--two")
		st.expectAbsent("a.txt")
	})
}

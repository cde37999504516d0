package main

// Session tests: the program driven over its stdin/stdout the way git-annex
// drives it, on real storage, where a static transcript cannot follow
// (content identifiers are only known at run time).

import (
	"bufio"
	"errors"
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
				s.send("CREDS  ")
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

// The conditional draft never overwrites, retrieves or removes content that
// changed behind its back, and acts when the content is what was expected.
func TestConditionalDraftDirectory(t *testing.T) {
	dir, export := t.TempDir(), t.TempDir()
	v1, v2 := filepath.Join(dir, "v1"), filepath.Join(dir, "v2")
	writeFile(t, v1, "version 1\n")
	writeFile(t, v2, "version 2!\n")
	s := startSession(t, map[string]string{"directory": export})
	const k1, k2 = "SHA256E-s10--one", "SHA256E-s11--two"
	target := filepath.Join(export, "sub", "a.txt")

	s.send("LOCATION sub/a.txt")
	s.send("NOTHINGEXPECTED")
	s.send("STOREEXPORTEXPECTED " + k1 + " " + v1)
	cid1 := s.expectPrefix("STORE-SUCCESS " + k1 + " ")
	if got := readFile(t, target); got != "version 1\n" {
		t.Fatalf("stored %q", got)
	}

	// Something is there now: NOTHINGEXPECTED refuses.
	s.send("LOCATION sub/a.txt")
	s.send("NOTHINGEXPECTED")
	s.send("STOREEXPORTEXPECTED " + k2 + " " + v2)
	s.expectPrefix("STORE-FAILURE " + k2 + " ")

	// Another program rewrites the file, same size: cid1 is stale, and
	// nothing git-annex asks on its strength touches the new content.
	writeFile(t, target, "VERSION 1\n")
	s.send("LOCATION sub/a.txt")
	s.send("EXPECTED " + cid1)
	s.send("STOREEXPORTEXPECTED " + k2 + " " + v2)
	s.expectPrefix("STORE-FAILURE " + k2 + " ")
	s.send("LOCATION sub/a.txt")
	s.send("EXPECTED " + cid1)
	s.send("CHECKPRESENTEXPORTEXPECTED " + k1)
	s.expect("CHECKPRESENT-FAILURE " + k1)
	s.send("LOCATION sub/a.txt")
	s.send("EXPECTED " + cid1)
	s.send("RETRIEVEEXPORTEXPECTED " + filepath.Join(dir, "back"))
	s.expectPrefix("RETRIEVE-FAILURE ")
	s.send("LOCATION sub/a.txt")
	s.send("EXPECTED " + cid1)
	s.send("REMOVEEXPORTEXPECTED " + k1)
	s.expectPrefix("REMOVE-FAILURE " + k1 + " ")
	if got := readFile(t, target); got != "VERSION 1\n" {
		t.Fatalf("the other program's content was lost: %q", got)
	}

	// Learn the new content's identifier by listing, as import does.
	s.send("LISTIMPORTABLECONTENTS")
	s.expect("IMPORTABLECONTENT 10 sub/a.txt")
	cid2 := s.expectPrefix("IMPORTABLECONTENTIDENTIFIER ")
	s.expect("LISTIMPORTABLECONTENTS-SUCCESS")
	if cid2 == cid1 {
		t.Fatalf("a same-size rewrite kept the content identifier %s", cid1)
	}

	// Expecting it (among others), every request acts.
	s.send("LOCATION sub/a.txt")
	s.send("EXPECTED " + cid1)
	s.send("EXPECTED " + cid2)
	s.send("RETRIEVEEXPORTEXPECTED " + filepath.Join(dir, "back"))
	s.expect("RETRIEVE-SUCCESS")
	if got := readFile(t, filepath.Join(dir, "back")); got != "VERSION 1\n" {
		t.Fatalf("retrieved %q", got)
	}
	s.send("LOCATION sub/a.txt")
	s.send("EXPECTED " + cid2)
	s.send("STOREEXPORTEXPECTED " + k2 + " " + v2)
	cid3 := s.expectPrefix("STORE-SUCCESS " + k2 + " ")
	s.send("LOCATION sub/a.txt")
	s.send("EXPECTED " + cid3)
	s.send("CHECKPRESENTEXPORTEXPECTED " + k2)
	s.expect("CHECKPRESENT-SUCCESS " + k2)
	s.send("REMOVEEXPORTDIRECTORYWHENEMPTY sub")
	s.expect("REMOVEEXPORTDIRECTORY-FAILURE")
	s.send("LOCATION sub/a.txt")
	s.send("EXPECTED " + cid3)
	s.send("REMOVEEXPORTEXPECTED " + k2)
	s.expect("REMOVE-SUCCESS " + k2)
	if _, err := os.Stat(target); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("not removed: %v", err)
	}
	// Removing what is already gone succeeds; so does an empty directory.
	s.send("LOCATION sub/a.txt")
	s.send("EXPECTED " + cid3)
	s.send("REMOVEEXPORTEXPECTED " + k2)
	s.expect("REMOVE-SUCCESS " + k2)
	s.send("REMOVEEXPORTDIRECTORYWHENEMPTY sub")
	s.expect("REMOVEEXPORTDIRECTORY-SUCCESS")
}

// A file changed between the listing and its retrieval is never delivered
// as the listed content: git-annex does not check what arrives during a
// plain import.
func TestRetrieveImportChangedSinceListing(t *testing.T) {
	dir, store := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(store, "f.txt"), "listed content\n")
	s := startSession(t, map[string]string{"directory": store})
	s.send("LISTIMPORTABLECONTENTS")
	s.expect("IMPORTABLECONTENT 15 f.txt")
	cid := s.expectPrefix("IMPORTABLECONTENTIDENTIFIER ")
	s.expect("LISTIMPORTABLECONTENTS-SUCCESS")

	// Retrieval into git-annex's import temporary, named after the listing.
	dest := filepath.Join(dir, "CID-s15--"+cid)
	s.send("IMPORT f.txt")
	s.send("RETRIEVEIMPORT " + dest)
	s.expect("RETRIEVEIMPORT-SUCCESS")
	if got := readFile(t, dest); got != "listed content\n" {
		t.Fatalf("retrieved %q", got)
	}
	os.Remove(dest)

	// Another program rewrites it, same size, before git-annex retrieves.
	writeFile(t, filepath.Join(store, "f.txt"), "LISTED CONTENT\n")
	s.send("IMPORT f.txt")
	s.send("RETRIEVEIMPORT " + dest)
	if reason := s.expectPrefix("RETRIEVEIMPORT-FAILURE "); !strings.Contains(reason, "changed since it was listed") {
		t.Errorf("reason %q does not say the file changed", reason)
	}
	if _, err := os.Stat(dest); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("something was delivered: %v", err)
	}
	// Outside an import (get, fsck: the destination is named after the
	// key), git-annex verifies against the key itself.
	keyDest := filepath.Join(dir, "SHA256E-s15--x.txt")
	s.send("IMPORT f.txt")
	s.send("RETRIEVEIMPORT " + keyDest)
	s.expect("RETRIEVEIMPORT-SUCCESS")
}

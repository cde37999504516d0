package protocol

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// FuzzParseLine checks that parsing never panics, that errors are always
// *lineError, and that a parsed known message formats back to a line that
// parses to the same message, with the last parameter never trimmed.
// The seed corpus is in testdata/fuzz/FuzzParseLine.
func FuzzParseLine(f *testing.F) {
	f.Add("TRANSFER STORE KEY .git/annex/objects/a b", false)
	f.Add("J 1 EXPORT  leading.txt", true)
	f.Add("VALUE ", false)
	f.Add("J 2 IMPORTKEY 8 odd/cid with spaces s8", true)
	f.Add("EXPECTED c\r", false)
	f.Fuzz(func(t *testing.T, line string, async bool) {
		if strings.Contains(line, "\n") {
			t.Skip("the reader never yields a line with LF")
		}
		m, err := parseLine(line, async)
		if err != nil {
			var le *lineError
			if !errors.As(err, &le) {
				t.Fatalf("parseLine(%q) error %T %v is not a *lineError", line, err, err)
			}
			return
		}
		if !m.known {
			if m.params != nil {
				t.Fatalf("unknown word %q has parameters %q", m.word, m.params)
			}
			return
		}
		spec := specs[m.word]
		if len(m.params) != len(spec) {
			t.Fatalf("parseLine(%q): %d parameters for %s, want %d", line, len(m.params), m.word, len(spec))
		}
		if n := len(spec); n > 0 && spec[n-1].keepsCR() && !strings.HasSuffix(line, m.params[n-1]) {
			t.Fatalf("parseLine(%q): last parameter %q is not the rest of the line", line, m.params[n-1])
		}
		again := m.String()
		m2, err := parseLine(again, async)
		if err != nil || m2.job != m.job || m2.word != m.word || !slices.Equal(m2.params, m.params) {
			t.Fatalf("round trip: %q → %q → %+v, %v; want %+v", line, again, m2, err, m)
		}
	})
}

// fuzzRemote succeeds at everything and makes a few queries, so the fuzzed
// input also reaches the answer routing.
type fuzzRemote struct{}

func (fuzzRemote) InitRemote(ctx context.Context, a *Annex) error {
	return a.SetState(ctx, "K", "v")
}

func (fuzzRemote) Prepare(ctx context.Context, a *Annex) error {
	_, err := a.GetConfig(ctx, "directory")
	return err
}

func (fuzzRemote) Store(ctx context.Context, a *Annex, key, file string) error {
	a.Progress(1)
	a.Debug(file)
	_, _, err := a.GetCreds(ctx, key)
	return err
}
func (fuzzRemote) Retrieve(context.Context, *Annex, string, string) error     { return nil }
func (fuzzRemote) CheckPresent(context.Context, *Annex, string) (bool, error) { return true, nil }
func (fuzzRemote) Remove(context.Context, *Annex, string) error               { return nil }
func (fuzzRemote) StoreExport(ctx context.Context, a *Annex, name, key, file string) error {
	a.Info(name)
	return nil
}
func (fuzzRemote) RetrieveExport(ctx context.Context, a *Annex, name, key, file string) error {
	given, giveUp := context.WithCancel(ctx)
	giveUp()
	a.GetUUID(given) // sent, given up on: its answer is dropped
	return nil
}
func (fuzzRemote) CheckPresentExport(context.Context, *Annex, string, string) (bool, error) {
	return false, nil
}
func (fuzzRemote) RemoveExport(context.Context, *Annex, string, string) error { return nil }
func (fuzzRemote) RemoveExportDirectory(context.Context, *Annex, string) error {
	panic("recovered")
}
func (fuzzRemote) RenameExport(context.Context, *Annex, string, string, string) error {
	return ErrUnsupported
}

func (fuzzRemote) ListImportableContents(ctx context.Context, a *Annex, emit func(int64, string, string) error) error {
	emit(3, "../refused", "c") // refused: left out
	return emit(3, "a  b", "c d")
}
func (fuzzRemote) RetrieveImport(ctx context.Context, a *Annex, name, file string) error {
	a.Progress(1)
	return nil
}
func (fuzzRemote) CheckPresentImport(context.Context, *Annex, string, string) (bool, error) {
	return false, errors.New("unknown")
}
func (fuzzRemote) ImportKey(ctx context.Context, a *Annex, name string, size int64, cid string) (string, error) {
	_, err := a.GetConfig(ctx, "x")
	return "SHA256E-s1--" + cid, err // not a key when cid has a space
}
func (fuzzRemote) StoreExportExpected(ctx context.Context, a *Annex, loc Location, key, file string) (string, error) {
	return strings.Join(loc.Expected, "\n"), nil // refused when it has a newline or is empty
}
func (fuzzRemote) RetrieveExportExpected(context.Context, *Annex, Location, string, string) error {
	return nil
}
func (fuzzRemote) CheckPresentExportExpected(context.Context, *Annex, Location, string) (bool, error) {
	return true, nil
}
func (fuzzRemote) RemoveExportExpected(context.Context, *Annex, Location, string) error { return nil }
func (fuzzRemote) RemoveExportDirectoryWhenEmpty(context.Context, *Annex, string) error {
	return ErrUnsupported
}

var outLine = regexp.MustCompile(`^(J [0-9]+ )?[A-Z][A-Z0-9-]*( [^\n]*)?\n$`)

// FuzzServe feeds arbitrary input to the request loop: Serve must return
// (no hang, no panic) and write nothing but well-formed protocol lines,
// starting with VERSION 2, and answer a last line cut short by the end of
// input with ERROR. The seed corpus is in testdata/fuzz/FuzzServe.
func FuzzServe(f *testing.F) {
	f.Add([]byte("EXTENSIONS INFO ASYNC\nJ 1 PREPARE\nJ 1 VALUE x\n"), false)
	f.Add([]byte("EXTENSIONS INFO\nEXPORT a\nb\nTRANSFEREXPORT STORE K f\n"), false)
	f.Add([]byte("EXTENSIONS\nEXPORT a\nTRANSFEREXPORT RETRIEVE K f\nPREPARE\nVALUE u\nVALUE d\n"), false)
	f.Add([]byte("EXTENSIONS IMPORTKEY ASYNC\nJ 1 LISTIMPORTABLECONTENTS\nJ 2 IMPORT a\nJ 2 IMPORTKEY 1 c\nJ 2 VALUE v\n"), false)
	f.Add([]byte("EXTENSIONS\nLOCATION a\nEXPECTED c1\nEXPECTED c2\nSTOREEXPORTEXPECTED K f\nIMPORT x\ny\nRETRIEVEIMPORT f\n"), false)
	f.Add([]byte("EXTENSIONS ASYNC\nJ 1 EXPORT a\nJ 1 RENAMEEXPORT K b\nc\nJ 2 REMOVEEXPORTDIRECTORY d\n\ne\nJ 2 PREPARE\n"), false)
	f.Fuzz(func(t *testing.T, input []byte, disableAsync bool) {
		const maxLine = 1 << 16
		var out, stderr bytes.Buffer
		done := make(chan error, 1)
		go func() {
			done <- serve(context.Background(), fuzzRemote{}, bytes.NewReader(input), &out,
				Options{Stderr: &stderr, DisableAsync: disableAsync}, config{maxLine: maxLine})
		}()
		var err error
		select {
		case err = <-done:
			if err != nil && !strings.Contains(err.Error(), "refused VERSION 2") {
				t.Fatalf("Serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Serve did not return at end of input")
		}
		text := out.String()
		if !strings.HasPrefix(text, "VERSION 2\n") {
			t.Fatalf("output does not start with VERSION 2: %q", text)
		}
		for _, l := range strings.SplitAfter(text, "\n") {
			if l != "" && !outLine.MatchString(l) {
				t.Fatalf("malformed output line %q", l)
			}
		}
		last := len(input) - 1 - bytes.LastIndexByte(input, '\n')
		if err == nil && last > 0 && last <= maxLine && !strings.Contains(text, "ERROR "+errUnterminated.reason+"\n") {
			t.Fatalf("a last line without LF was not answered ERROR: %q", text)
		}
	})
}

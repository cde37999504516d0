package protocol_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/exporttree/git-annex-remote-exporttree/protocol"
)

// fileInfo is one file of listRemote's storage.
type fileInfo struct {
	name string
	size int64
	cid  string
}

// listRemote is an importtree remote over a fixed list of files.
type listRemote struct{ files []fileInfo }

var _ protocol.Importer = listRemote{}

func (listRemote) InitRemote(context.Context, *protocol.Annex) error { return nil }
func (listRemote) Prepare(context.Context, *protocol.Annex) error    { return nil }

func (l listRemote) ListImportableContents(ctx context.Context, a *protocol.Annex, emit func(int64, string, string) error) error {
	for _, f := range l.files {
		err := emit(f.size, f.name, f.cid)
		var refused *protocol.ProtocolError
		switch {
		case errors.As(err, &refused):
			// git-annex would mishandle this name: leave it out. In
			// the middle of a listing the note goes to stderr, not to
			// git-annex, which would drop the entries before it.
			a.Debug(err.Error())
		case err != nil:
			return err // the whole listing fails
		}
	}
	return nil
}

func (l listRemote) RetrieveImport(ctx context.Context, a *protocol.Annex, name, file string) error {
	return fmt.Errorf("%s: not implemented in this example", name)
}

func (l listRemote) CheckPresentImport(ctx context.Context, a *protocol.Annex, name, key string) (bool, error) {
	return false, nil
}

// A listing leaves out the names that emit refuses; IMPORT is never
// answered. Notes made once an entry is listed go to stderr.
func ExampleImporter() {
	r := listRemote{files: []fileInfo{
		{"a.txt", 6, "s6-m1"},
		{"../outside.txt", 3, "s3-m1"},
		{"dir/two words.md", 8, "s8-m2"},
	}}
	gitAnnex := "EXTENSIONS INFO\nIMPORTSUPPORTED\nLISTIMPORTABLECONTENTS\nIMPORT a.txt\nRETRIEVEIMPORT .git/annex/tmp/x\n"
	if err := protocol.Serve(context.Background(), r, strings.NewReader(gitAnnex), os.Stdout, protocol.Options{}); err != nil {
		fmt.Println("error:", err)
	}
	// Output:
	// VERSION 2
	// EXTENSIONS INFO
	// IMPORTSUPPORTED-SUCCESS
	// IMPORTABLECONTENT 6 a.txt
	// IMPORTABLECONTENTIDENTIFIER s6-m1
	// IMPORTABLECONTENT 8 dir/two words.md
	// IMPORTABLECONTENTIDENTIFIER s8-m2
	// LISTIMPORTABLECONTENTS-SUCCESS
	// RETRIEVEIMPORT-FAILURE a.txt: not implemented in this example
}

func ExampleCleanImportName() {
	for _, name := range []string{"dir/two words.md", "a//b.txt", ".git/config", "dir/"} {
		fmt.Println(protocol.CleanImportName(name))
	}
	// Output:
	// <nil>
	// import name "a//b.txt" contains "//"
	// import name ".git/config" has a ".git" component
	// import name "dir/" ends in "/"
}

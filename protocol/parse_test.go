package protocol

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseLine(t *testing.T) {
	const k = "SHA256E-s6--5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03.txt"
	tests := []struct {
		name   string
		line   string
		async  bool
		job    string
		word   string
		params []string
		known  bool
		err    string // substring of the error; "" for none
	}{
		{name: "no params", line: "PREPARE", word: "PREPARE", known: true},
		{name: "no params trailing space", line: "PREPARE ", word: "PREPARE", known: true},
		{name: "no params CRLF", line: "PREPARE\r", word: "PREPARE", known: true},
		{name: "no params extra", line: "PREPARE now", word: "PREPARE", known: true, err: "too many parameters"},
		{name: "value", line: "VALUE /tmp/x", word: "VALUE", params: []string{"/tmp/x"}, known: true},
		{name: "value empty with space", line: "VALUE ", word: "VALUE", params: []string{""}, known: true},
		{name: "value bare", line: "VALUE", word: "VALUE", params: []string{""}, known: true},
		{name: "value keeps spaces", line: "VALUE  a  b\t ", word: "VALUE", params: []string{" a  b\t "}, known: true},
		{name: "value keeps CR", line: "VALUE x\r", word: "VALUE", params: []string{"x\r"}, known: true},
		{name: "value non-utf8", line: "VALUE \xff\xfe%[]", word: "VALUE", params: []string{"\xff\xfe%[]"}, known: true},
		{name: "export leading space", line: "EXPORT  leading.txt", word: "EXPORT", params: []string{" leading.txt"}, known: true},
		{name: "export leading dash", line: "EXPORT --", word: "EXPORT", params: []string{"--"}, known: true},
		{name: "export tab", line: "EXPORT tab\there.txt", word: "EXPORT", params: []string{"tab\there.txt"}, known: true},
		{name: "export trailing space", line: "EXPORT trailing .txt ", word: "EXPORT", params: []string{"trailing .txt "}, known: true},
		{name: "export unicode", line: "EXPORT uni-ñ-日本.txt", word: "EXPORT", params: []string{"uni-ñ-日本.txt"}, known: true},
		{name: "export empty", line: "EXPORT ", word: "EXPORT", params: []string{""}, known: true},
		{name: "creds", line: "CREDS myuser my secret pass", word: "CREDS", params: []string{"myuser", "my secret pass"}, known: true},
		{name: "creds empty", line: "CREDS  ", word: "CREDS", params: []string{"", ""}, known: true},
		{name: "creds bare", line: "CREDS", word: "CREDS", known: true, err: "too few parameters"},
		{name: "transfer", line: "TRANSFER STORE " + k + " .git/annex/objects/x y", word: "TRANSFER",
			params: []string{"STORE", k, ".git/annex/objects/x y"}, known: true},
		{name: "transfer CRLF keeps CR in file", line: "TRANSFER RETRIEVE " + k + " f\r", word: "TRANSFER",
			params: []string{"RETRIEVE", k, "f\r"}, known: true},
		{name: "transfer missing file", line: "TRANSFER STORE " + k, word: "TRANSFER", known: true, err: "too few parameters"},
		{name: "transfer empty file", line: "TRANSFER STORE " + k + " ", word: "TRANSFER", known: true, err: "missing file name"},
		{name: "transfer bad direction", line: "TRANSFER UP " + k + " f", word: "TRANSFER", known: true, err: "STORE or RETRIEVE"},
		{name: "transfer double space", line: "TRANSFER STORE  " + k + " f", word: "TRANSFER", known: true, err: "missing key"},
		{name: "transfer bare", line: "TRANSFER", word: "TRANSFER", known: true, err: "too few parameters"},
		{name: "checkpresent", line: "CHECKPRESENT " + k, word: "CHECKPRESENT", params: []string{k}, known: true},
		{name: "checkpresent CRLF", line: "CHECKPRESENT " + k + "\r", word: "CHECKPRESENT", params: []string{k}, known: true},
		{name: "checkpresent bare", line: "CHECKPRESENT", word: "CHECKPRESENT", known: true, err: "missing key"},
		{name: "checkpresent extra", line: "CHECKPRESENT " + k + " more", word: "CHECKPRESENT", known: true, err: "too many parameters"},
		{name: "renameexport", line: "RENAMEEXPORT " + k + " .git-annex-tmp-content-" + k, word: "RENAMEEXPORT",
			params: []string{k, ".git-annex-tmp-content-" + k}, known: true},
		{name: "renameexport new name with spaces", line: "RENAMEEXPORT " + k + " a  b ", word: "RENAMEEXPORT",
			params: []string{k, "a  b "}, known: true},
		{name: "renameexport missing name", line: "RENAMEEXPORT " + k, word: "RENAMEEXPORT", known: true, err: "too few parameters"},
		{name: "removeexportdirectory", line: "REMOVEEXPORTDIRECTORY dir with space", word: "REMOVEEXPORTDIRECTORY",
			params: []string{"dir with space"}, known: true},
		{name: "import", line: "IMPORT  dir/two  words.md ", word: "IMPORT", params: []string{" dir/two  words.md "}, known: true},
		{name: "import keeps CR", line: "IMPORT cr\rname.txt\r", word: "IMPORT", params: []string{"cr\rname.txt\r"}, known: true},
		{name: "import empty", line: "IMPORT", word: "IMPORT", params: []string{""}, known: true},
		{name: "listimportablecontents", line: "LISTIMPORTABLECONTENTS", word: "LISTIMPORTABLECONTENTS", known: true},
		{name: "listimportablecontents extra", line: "LISTIMPORTABLECONTENTS x", word: "LISTIMPORTABLECONTENTS", known: true,
			err: "too many parameters"},
		{name: "retrieveimport", line: "RETRIEVEIMPORT .git/annex/tmp/CID-s6--odd%cid,32with", word: "RETRIEVEIMPORT",
			params: []string{".git/annex/tmp/CID-s6--odd%cid,32with"}, known: true},
		{name: "retrieveimport missing file", line: "RETRIEVEIMPORT ", word: "RETRIEVEIMPORT", known: true, err: "missing file name"},
		{name: "checkpresentimport", line: "CHECKPRESENTIMPORT " + k + "\r", word: "CHECKPRESENTIMPORT", params: []string{k}, known: true},
		{name: "checkpresentimport extra", line: "CHECKPRESENTIMPORT " + k + " x", word: "CHECKPRESENTIMPORT", known: true,
			err: "too many parameters"},
		{name: "importkey cid with spaces", line: "IMPORTKEY 6 odd/cid with spaces  s6-m1 ", word: "IMPORTKEY",
			params: []string{"6", "odd/cid with spaces  s6-m1 "}, known: true},
		{name: "importkey zero", line: "IMPORTKEY 0 s0-m1-i2", word: "IMPORTKEY", params: []string{"0", "s0-m1-i2"}, known: true},
		{name: "importkey largest size", line: "IMPORTKEY 9223372036854775807 c", word: "IMPORTKEY",
			params: []string{"9223372036854775807", "c"}, known: true},
		{name: "importkey size overflow", line: "IMPORTKEY 9223372036854775808 c", word: "IMPORTKEY", known: true, err: "size must be"},
		{name: "importkey negative", line: "IMPORTKEY -1 c", word: "IMPORTKEY", known: true, err: "size must be"},
		{name: "importkey plus", line: "IMPORTKEY +1 c", word: "IMPORTKEY", known: true, err: "size must be"},
		{name: "importkey unknown size", line: "IMPORTKEY ? c", word: "IMPORTKEY", known: true, err: "size must be"},
		{name: "importkey empty size", line: "IMPORTKEY  c", word: "IMPORTKEY", known: true, err: "size must be"},
		{name: "importkey missing cid", line: "IMPORTKEY 6", word: "IMPORTKEY", known: true, err: "too few parameters"},
		{name: "importkey empty cid", line: "IMPORTKEY 6 ", word: "IMPORTKEY", known: true, err: "missing content identifier"},
		{name: "async importkey", line: "J 3 IMPORTKEY 7 s7-m1", async: true, job: "3", word: "IMPORTKEY",
			params: []string{"7", "s7-m1"}, known: true},
		{name: "location", line: "LOCATION  leading.txt", word: "LOCATION", params: []string{" leading.txt"}, known: true},
		{name: "expected", line: "EXPECTED odd/cid with spaces ", word: "EXPECTED", params: []string{"odd/cid with spaces "}, known: true},
		{name: "expected empty", line: "EXPECTED ", word: "EXPECTED", known: true, err: "missing content identifier"},
		{name: "nothingexpected", line: "NOTHINGEXPECTED", word: "NOTHINGEXPECTED", known: true},
		{name: "nothingexpected CRLF", line: "NOTHINGEXPECTED\r", word: "NOTHINGEXPECTED", known: true},
		{name: "nothingexpected extra", line: "NOTHINGEXPECTED c", word: "NOTHINGEXPECTED", known: true, err: "too many parameters"},
		{name: "storeexportexpected", line: "STOREEXPORTEXPECTED " + k + " .git/annex/objects/a b", word: "STOREEXPORTEXPECTED",
			params: []string{k, ".git/annex/objects/a b"}, known: true},
		{name: "storeexportexpected missing file", line: "STOREEXPORTEXPECTED " + k, word: "STOREEXPORTEXPECTED", known: true,
			err: "too few parameters"},
		{name: "retrieveexportexpected", line: "RETRIEVEEXPORTEXPECTED .git/annex/tmp/a b", word: "RETRIEVEEXPORTEXPECTED",
			params: []string{".git/annex/tmp/a b"}, known: true},
		{name: "checkpresentexportexpected", line: "CHECKPRESENTEXPORTEXPECTED " + k, word: "CHECKPRESENTEXPORTEXPECTED",
			params: []string{k}, known: true},
		{name: "removeexportexpected", line: "REMOVEEXPORTEXPECTED " + k, word: "REMOVEEXPORTEXPECTED", params: []string{k}, known: true},
		{name: "removeexportdirectorywhenempty", line: "REMOVEEXPORTDIRECTORYWHENEMPTY dir/sub dir", word: "REMOVEEXPORTDIRECTORYWHENEMPTY",
			params: []string{"dir/sub dir"}, known: true},
		{name: "extensions", line: "EXTENSIONS INFO ASYNC", word: "EXTENSIONS", params: []string{"INFO ASYNC"}, known: true},
		{name: "unknown", line: "GETORDERED", word: "GETORDERED"},
		{name: "unknown with params", line: "CLAIMURL http://x", word: "CLAIMURL"},
		{name: "lowercase is unknown", line: "prepare", word: "prepare"},
		{name: "empty line", line: "", word: ""},
		{name: "J without async is a word", line: "J 1 PREPARE", word: "J"},
		{name: "async", line: "J 1 PREPARE", async: true, job: "1", word: "PREPARE", known: true},
		{name: "async params", line: "J 12 EXPORT a b", async: true, job: "12", word: "EXPORT", params: []string{"a b"}, known: true},
		{name: "async unknown", line: "J 3 GETORDERED", async: true, job: "3", word: "GETORDERED"},
		{name: "async wrong arity keeps job", line: "J 2 CHECKPRESENT", async: true, job: "2", word: "CHECKPRESENT", known: true, err: "missing key"},
		{name: "async bare error", line: "ERROR boom", async: true, word: "ERROR", params: []string{"boom"}, known: true},
		{name: "async missing job", line: "PREPARE", async: true, err: "without a job number"},
		{name: "async bad job", line: "J x PREPARE", async: true, err: "without a job number"},
		{name: "async job no rest", line: "J 1", async: true, err: "without a job number"},
		{name: "async job negative", line: "J -1 PREPARE", async: true, err: "without a job number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := parseLine(tt.line, tt.async)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("parseLine(%q) error = %v, want one containing %q", tt.line, err, tt.err)
				}
				var le *lineError
				if !errors.As(err, &le) {
					t.Fatalf("error %T is not a *lineError", err)
				}
				if m.job != tt.job {
					t.Errorf("job = %q, want %q (kept for routing the ERROR)", m.job, tt.job)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseLine(%q): %v", tt.line, err)
			}
			if m.job != tt.job || m.word != tt.word || m.known != tt.known || !slices.Equal(m.params, tt.params) {
				t.Errorf("parseLine(%q) = job %q word %q known %v params %q; want job %q word %q known %v params %q",
					tt.line, m.job, m.word, m.known, m.params, tt.job, tt.word, tt.known, tt.params)
			}
		})
	}
}

// Every word of the arity table accepts a well-formed line and refuses a
// line with a parameter too many or too few.
func TestParseLineArityTable(t *testing.T) {
	sample := map[paramKind]string{text: "a b", path: "some file", field: "user", key: "KEY--x", direction: "STORE",
		size: "12", ident: "cid with spaces"}
	for word, spec := range specs {
		params := make([]string, len(spec))
		for i, k := range spec {
			params[i] = sample[k]
		}
		line := msg(word, params...).String()
		m, err := parseLine(line, false)
		if err != nil || !slices.Equal(m.params, params) && len(params) > 0 {
			t.Errorf("%s: parseLine(%q) = %q, %v", word, line, m.params, err)
		}
		if len(spec) == 0 {
			if _, err := parseLine(word+" x", false); err == nil {
				t.Errorf("%s: extra parameter accepted", word)
			}
			continue
		}
		if spec[len(spec)-1] == key {
			if _, err := parseLine(line+" x", false); err == nil {
				t.Errorf("%s: extra parameter accepted", word)
			}
		}
		if len(spec) >= 2 {
			short := msg(word, params[:len(params)-2]...).String()
			if _, err := parseLine(short, false); err == nil {
				t.Errorf("%s: %q with too few parameters accepted", word, short)
			}
		}
	}
}

func TestMessageFormat(t *testing.T) {
	tests := []struct {
		m    message
		want string
	}{
		{msg("PREPARE-SUCCESS"), "PREPARE-SUCCESS\n"},
		{msg("EXTENSIONS", ""), "EXTENSIONS \n"},
		{msg("VALUE", ""), "VALUE \n"},
		{msg("TRANSFER-FAILURE", "STORE", "K", "two\nlines"), "TRANSFER-FAILURE STORE K two lines\n"},
		{message{job: "3", word: "CHECKPRESENT-SUCCESS", params: []string{"K"}}, "J 3 CHECKPRESENT-SUCCESS K\n"},
		{msg("DEBUG", " lead  \xff"), "DEBUG  lead  \xff\n"},
	}
	for _, tt := range tests {
		if got := string(tt.m.appendLine(nil)); got != tt.want {
			t.Errorf("appendLine = %q, want %q", got, tt.want)
		}
	}
}

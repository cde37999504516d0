package testscript_test

// The conformance suite (testdata/conformance) checks, black-box, what
// git-annex relies on from any external special remote: the start-up,
// INITREMOTE and PREPARE, key/value storage, and export and import when
// the remote says it supports them. Run it against your own remote:
//
//	EXPORTTREE_REMOTE_BIN=$(command -v git-annex-remote-foo) \
//	EXPORTTREE_CONFORMANCE_CONFIG='directory=$WORK/store' \
//	go test ./testscript -run TestConformance -v
//
// EXPORTTREE_REMOTE_BIN is an absolute path (go test runs in the package's
// directory). EXPORTTREE_CONFORMANCE_CONFIG holds the remote's settings,
// NAME=VALUE separated by spaces, answered to GETCONFIG as initremote's
// parameters are. Each script runs in a fresh directory $WORK holding an
// empty directory $WORK/store, and $STOREID is a name unique to the script
// and the run: point the remote at fresh storage with them (a directory
// remote: directory=$WORK/store; a bucket: prefix=$STOREID/). The remote
// runs in $WORK with the environment of go test, so credentials and
// configuration in the environment reach it. Scripts for features a remote
// may lack are skipped when it says so: export when EXPORTSUPPORTED is not
// EXPORTSUPPORTED-SUCCESS, import likewise, RENAMEEXPORT when it answers
// UNSUPPORTED-REQUEST, and the unreachable-storage checks unless the
// configuration names $WORK/store.
//
// Without EXPORTTREE_REMOTE_BIN, the suite runs against this program on a
// directory and on S3 (MinIO), where no script may be skipped for a
// missing feature, and against a minimal remote written in POSIX sh
// (testdata/conformance-example: key/value storage and export with
// renames, no import), which shows the scripts assume nothing of this
// program.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/exporttree/git-annex-remote-exporttree/backends/s3/s3test"
	"github.com/exporttree/git-annex-remote-exporttree/protocol/remotetest"
	"github.com/rogpeppe/go-internal/testscript"
)

// A conformanceTarget is a remote the suite runs against.
type conformanceTarget struct {
	argv   []string // the command that starts it
	config string   // NAME=VALUE ..., with $WORK and $STOREID to expand per script
	creds  map[string][2]string
	// complete says the remote must have every optional feature (this
	// program does): a script it would skip fails instead.
	complete bool

	features func() (remoteFeatures, error) // probed once
}

// remoteFeatures are what a remote says it supports, asked as git-annex's
// initremote asks: in a process of its own, without PREPARE.
type remoteFeatures struct{ export, importing bool }

func newTarget(argv []string, config string, creds map[string][2]string) *conformanceTarget {
	tgt := &conformanceTarget{argv: argv, config: config, creds: creds}
	tgt.features = sync.OnceValues(tgt.probe)
	return tgt
}

func TestConformance(t *testing.T) {
	if bin := os.Getenv("EXPORTTREE_REMOTE_BIN"); bin != "" {
		abs, err := filepath.Abs(bin)
		if err == nil {
			abs, err = exec.LookPath(abs) // fail once, not in every script
		}
		if err != nil {
			t.Fatalf("EXPORTTREE_REMOTE_BIN: %v", err)
		}
		// Run it by its own name, not the symlink TestMain made: some
		// remotes (rclone's) choose what to be by the name they run under.
		config := os.Getenv("EXPORTTREE_CONFORMANCE_CONFIG")
		t.Logf("remote %s, configuration %q", abs, config)
		runConformance(t, newTarget([]string{abs}, config, nil))
		return
	}
	self := filepath.Join(remoteBinDir, "git-annex-remote-exporttree")
	t.Run("directory", func(t *testing.T) {
		runConformance(t, completeTarget(newTarget([]string{self}, "directory=$WORK/store", nil)))
	})
	t.Run("s3", func(t *testing.T) {
		srv := s3test.Shared(t)
		bucket := srv.NewBucket(t, false)
		config := fmt.Sprintf("backend=s3 endpoint=%s bucket=%s prefix=$STOREID/", srv.Endpoint, bucket)
		// The program asks git-annex for these (GETCREDS s3creds).
		creds := map[string][2]string{"s3creds": {srv.AccessKey, srv.SecretKey}}
		runConformance(t, completeTarget(newTarget([]string{self}, config, creds)))
	})
	t.Run("sh-example", func(t *testing.T) {
		script, err := filepath.Abs("testdata/conformance-example/git-annex-remote-shdir")
		if err != nil {
			t.Fatal(err)
		}
		// Through sh, so that the script need not be executable in a checkout.
		runConformance(t, newTarget([]string{"sh", script}, "directory=$WORK/store", nil))
	})
}

func completeTarget(tgt *conformanceTarget) *conformanceTarget {
	tgt.complete = true
	return tgt
}

var conformanceSeq atomic.Uint64

func runConformance(t *testing.T, tgt *conformanceTarget) {
	p := params(t, "conformance", "", nil, nil)
	p.Cmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){}
	for name, cmd := range commands {
		p.Cmds[name] = cmd
	}
	p.Cmds["annex"] = cmdAnnex
	p.Condition = tgt.condition
	setup := p.Setup
	p.Setup = func(env *testscript.Env) error {
		if err := setup(env); err != nil {
			return err
		}
		env.Setenv("STOREID", fmt.Sprintf("conformance-%d-%d", os.Getpid(), conformanceSeq.Add(1)))
		env.Values[conformanceKey{}] = &conformanceScript{target: tgt, t: env.T(), settings: map[string]string{}}
		return os.Mkdir(filepath.Join(env.WorkDir, "store"), 0o755)
	}
	testscript.Run(t, p)
}

// condition answers the suite's conditions:
//
//   - exportsupported: EXPORTSUPPORTED is answered EXPORTSUPPORTED-SUCCESS;
//   - importsupported: IMPORTSUPPORTED is answered IMPORTSUPPORTED-SUCCESS;
//   - storedir: the configuration names $WORK/store, so the storage is that
//     directory and a script can take it away.
func (tgt *conformanceTarget) condition(cond string) (bool, error) {
	switch cond {
	case "exportsupported", "importsupported":
		f, err := tgt.features()
		if err != nil {
			return false, err
		}
		supported := f.export
		if cond == "importsupported" {
			supported = f.importing
		}
		if !supported && tgt.complete {
			return false, fmt.Errorf("%s: this remote must support it", cond)
		}
		return supported, nil
	case "storedir":
		return strings.Contains(tgt.config, "$WORK/store") || strings.Contains(tgt.config, "${WORK}/store"), nil
	}
	return false, fmt.Errorf("unknown condition %q (the suite knows exportsupported, importsupported, storedir)", cond)
}

// probe asks the remote EXPORTSUPPORTED and IMPORTSUPPORTED.
func (tgt *conformanceTarget) probe() (remoteFeatures, error) {
	var f remoteFeatures
	dir, err := os.MkdirTemp("", "exporttree-conformance-probe-")
	if err != nil {
		return f, err
	}
	defer os.RemoveAll(dir)
	cmd := conformanceCommand(tgt.argv, dir, dir)
	s, err := remotetest.Start(cmd, remotetest.Options{Timeout: replyTimeout})
	if err != nil {
		return f, fmt.Errorf("probing the remote: %v", err)
	}
	defer s.Close()
	// Offer what the scripts' handshakes offer: git-annex never sends an
	// empty EXTENSIONS, and some remotes (AnnexRemote 1.6) fail on one.
	if _, err := s.Handshake("INFO", "GETGITREMOTENAME"); err != nil {
		return f, fmt.Errorf("probing the remote: %v", err)
	}
	for _, q := range []struct {
		request string
		yes     *bool
	}{{"EXPORTSUPPORTED", &f.export}, {"IMPORTSUPPORTED", &f.importing}} {
		reply, err := s.Request(q.request)
		if err != nil {
			return f, fmt.Errorf("probing the remote: %s: %v", q.request, err)
		}
		switch reply {
		case q.request + "-SUCCESS":
			*q.yes = true
		case q.request + "-FAILURE", "UNSUPPORTED-REQUEST":
		default:
			return f, fmt.Errorf("probing the remote: %s answered %q", q.request, reply)
		}
	}
	return f, nil
}

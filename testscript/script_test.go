package testscript_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/exporttree/git-annex-remote-exporttree/backends/s3/s3test"
	"github.com/rogpeppe/go-internal/testscript"
)

// remoteBinDir holds the git-annex-remote-exporttree under test.
var remoteBinDir string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "exporttree-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if bin := os.Getenv("EXPORTTREE_REMOTE_BIN"); bin != "" {
		// Black-box mode: test someone else's remote under our name.
		abs, err := filepath.Abs(bin)
		if err == nil {
			err = os.Symlink(abs, filepath.Join(dir, "git-annex-remote-exporttree"))
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "EXPORTTREE_REMOTE_BIN:", err)
			return 1
		}
	} else {
		// Build the real program rather than re-running the test binary:
		// the scripts then test exactly what a user installs.
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "git-annex-remote-exporttree"),
			"github.com/exporttree/git-annex-remote-exporttree/cmd/git-annex-remote-exporttree")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "building git-annex-remote-exporttree:", err)
			return 1
		}
	}
	remoteBinDir = dir
	return s3test.Main(m) // stops the MinIO server the S3 scripts share
}

// params returns the testscript parameters shared by every suite: the
// remote first on PATH, then extraPath, a HOME with a git identity.
func params(t *testing.T, dir string, extraPath string, conds map[string]bool, extraEnv map[string]string) testscript.Params {
	return testscript.Params{
		Dir:                 filepath.Join("testdata", dir),
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		UpdateScripts:       os.Getenv("EXPORTTREE_UPDATE_SCRIPTS") == "1",
		Cmds:                commands,
		Condition: func(cond string) (bool, error) {
			v, ok := conds[cond]
			if !ok {
				return false, fmt.Errorf("unknown condition %q", cond)
			}
			return v, nil
		},
		Setup: func(env *testscript.Env) error {
			path := remoteBinDir
			if extraPath != "" {
				path += string(os.PathListSeparator) + extraPath
			}
			env.Setenv("PATH", path+string(os.PathListSeparator)+os.Getenv("PATH"))
			home := filepath.Join(env.WorkDir, ".home")
			if err := os.MkdirAll(home, 0o755); err != nil {
				return err
			}
			env.Setenv("HOME", home)
			for k, v := range extraEnv {
				env.Setenv(k, v)
			}
			env.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
			env.Setenv("GIT_AUTHOR_NAME", "Test")
			env.Setenv("GIT_AUTHOR_EMAIL", "test@example.invalid")
			env.Setenv("GIT_COMMITTER_NAME", "Test")
			env.Setenv("GIT_COMMITTER_EMAIL", "test@example.invalid")
			gitconfig := "[init]\n\tdefaultBranch = main\n[user]\n\tname = Test\n\temail = test@example.invalid\n"
			return os.WriteFile(filepath.Join(home, ".gitconfig"), []byte(gitconfig), 0o644)
		},
	}
}

// TestProtocol runs the protocol transcripts: no git-annex needed.
func TestProtocol(t *testing.T) {
	testscript.Run(t, params(t, "protocol", "", nil, nil))
}

// TestEndToEnd runs every end-to-end script once per git-annex version and
// storage kind (a directory; S3 on a real MinIO, versioned and not).
func TestEndToEnd(t *testing.T) {
	for _, name := range []string{"bookworm", "sid"} {
		t.Run(name, func(t *testing.T) {
			v := findAnnex(t, name)
			t.Logf("git-annex %s from %s", v.version, v.binDir)
			for _, kind := range storageKinds {
				t.Run(kind.name, func(t *testing.T) {
					env := map[string]string{"STORAGE_KIND": kind.name}
					if kind.s3 {
						srv := s3test.Shared(t)
						env["S3_ENDPOINT"] = srv.Endpoint
						// The program finds these in the environment at
						// initremote and hands them to git-annex to store.
						env["AWS_ACCESS_KEY_ID"] = srv.AccessKey
						env["AWS_SECRET_ACCESS_KEY"] = srv.SecretKey
					}
					conds := map[string]bool{
						"bookworm": name == "bookworm", "sid": name == "sid",
						"directory": !kind.s3, "s3": kind.s3, "versioned": kind.versioned,
					}
					testscript.Run(t, params(t, "e2e", v.binDir, conds, env))
				})
			}
		})
	}
}

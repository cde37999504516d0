package testscript_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

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
	return m.Run()
}

// params returns the testscript parameters shared by every suite: the
// remote first on PATH, then extraPath, a HOME with a git identity.
func params(t *testing.T, dir string, extraPath string, conds map[string]bool) testscript.Params {
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
	testscript.Run(t, params(t, "protocol", "", nil))
}

// TestEndToEnd runs every end-to-end script once per git-annex version.
func TestEndToEnd(t *testing.T) {
	for _, name := range []string{"bookworm", "sid"} {
		t.Run(name, func(t *testing.T) {
			v := findAnnex(t, name)
			t.Logf("git-annex %s from %s", v.version, v.binDir)
			conds := map[string]bool{"bookworm": name == "bookworm", "sid": name == "sid"}
			testscript.Run(t, params(t, "e2e", v.binDir, conds))
		})
	}
}

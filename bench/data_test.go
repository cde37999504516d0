package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/exporttree/git-annex-remote-exporttree/backends/s3/s3test"
)

// git runs git-annex as its child: an interrupt must reach git-annex, not
// leave it running (and the benchmark waiting on its output) until the
// export ends.
func TestGitStopsAnnexWhenCanceled(t *testing.T) {
	annex := t.TempDir()
	script := "#!/bin/sh\nexec sleep 30\n"
	if err := os.WriteFile(filepath.Join(annex, "git-annex"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	b := &bench{ctx: ctx, work: t.TempDir(), annex: annex, s3: &minioServer{srv: &s3test.Server{}}}
	start := time.Now()
	_, err := b.git(b.work, nil, "annex", "version")
	if err == nil {
		t.Fatal("git annex returned no error though canceled")
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("canceled after 300ms, git annex returned after %s", took.Round(time.Second))
	}
}

// The user's settings of the program and of the Go runtime must not change
// what is measured; the rest of the environment passes.
func TestEnvKeepsSettingsOut(t *testing.T) {
	t.Setenv("GOGC", "off")
	t.Setenv("GIT_ANNEX_REMOTE_EXPORTTREE_ASYNC", "0")
	t.Setenv("EXPORTTREE_BENCH_TEST_KEPT", "no")
	t.Setenv("BENCH_TEST_PASSES", "yes")
	b := &bench{work: t.TempDir(), s3: &minioServer{srv: &s3test.Server{}}}
	env := b.env()
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if name == "GOGC" || name == "GIT_ANNEX_REMOTE_EXPORTTREE_ASYNC" || name == "EXPORTTREE_BENCH_TEST_KEPT" {
			t.Errorf("git-annex's environment has %s", kv)
		}
	}
	if !slices.Contains(env, "BENCH_TEST_PASSES=yes") {
		t.Errorf("git-annex's environment lacks BENCH_TEST_PASSES=yes")
	}
}

package main

import (
	"context"
	"os"
	"path/filepath"
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

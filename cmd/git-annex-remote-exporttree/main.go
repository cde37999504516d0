// Command git-annex-remote-exporttree is a git-annex external special remote
// that exports a tree of files to a directory or an S3 bucket, and imports
// what other tools wrote there, with atomic stores and content identifiers.
//
// git-annex starts it for a remote made with
//
//	git annex initremote NAME type=external externaltype=exporttree \
//	    encryption=none exporttree=yes directory=/path/to/export
//
// and speaks the external special remote protocol with it on stdin/stdout.
// See the README for every setting.
package main

import (
	"os"
	"runtime/debug"
)

func main() {
	if os.Getenv("GOGC") == "" {
		// Most live memory is S3 upload buffers (parallelparts ×
		// partsize), reused from part to part, around which each part's
		// request leaves garbage. Collecting at 25% growth instead of
		// 100% keeps a 1 GiB upload under 64 MiB of RSS (see
		// BENCHMARKS.md); the buffers hold no pointers, so the extra
		// collections cost little.
		debug.SetGCPercent(25)
	}
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

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

import "os"

// memoryLimit keeps the garbage collector's limit to the S3 content buffers in
// use (memory.go); nil in tests, which run the program in their own process.
var memoryLimit *memoryBudget

func main() {
	memoryLimit = newMemoryBudget()
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

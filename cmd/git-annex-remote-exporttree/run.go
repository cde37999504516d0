package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/exporttree/git-annex-remote-exporttree/protocol"
)

// run serves one git-annex session and returns the process exit code. It is
// main without the process, so tests can call it (testscript maps the
// program's name to it).
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "--version", "version":
			fmt.Fprintln(stdout, "git-annex-remote-exporttree", version)
			return 0
		default:
			fmt.Fprintf(stderr, "git-annex-remote-exporttree: unexpected argument %q\n"+
				"This program is started by git-annex; see README.md for `git annex initremote`.\n", args[0])
			return 2
		}
	}

	// SIGINT/SIGTERM cancel the context: transfers stop and remove their
	// temporaries, then Serve returns.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	stallAtStep(stderr)
	r := newRemote(stderr)
	defer r.close()
	opts := protocol.Options{
		Stderr:       stderr,
		DisableAsync: os.Getenv("GIT_ANNEX_REMOTE_EXPORTTREE_ASYNC") == "0",
	}
	if err := protocol.Serve(ctx, r, stdin, stdout, opts); err != nil {
		fmt.Fprintln(stderr, "git-annex-remote-exporttree:", err)
		return 1
	}
	if ctx.Err() != nil {
		return 130
	}
	return 0
}

// version is set at build time with -ldflags "-X main.version=...".
var version = "devel"

// Package testscript holds the project's testscript suites, run by go test:
//
//   - testdata/protocol: protocol transcripts of this program. A stdin file
//     plays git-annex, the script runs the remote with exec and compares its
//     replies with cmpwire. They need no git-annex, and they pin this
//     program's exact wire output (its settings, its messages), but for
//     PROGRESS lines, whose number depends on how long a transfer took.
//   - testdata/conformance: a black-box conformance suite for any external
//     special remote, run by TestConformance (see below).
//   - testdata/e2e: end-to-end scripts that drive a real git-annex against
//     real storage, once per git-annex version (Debian bookworm's and sid's).
//
// The remote under test is built from this module, or is the binary named
// by EXPORTTREE_REMOTE_BIN. The git-annex versions are found through
// EXPORTTREE_GIT_ANNEX_BOOKWORM and EXPORTTREE_GIT_ANNEX_SID_BIN (directories
// holding a git-annex binary); scripts/test sets them. With
// EXPORTTREE_REQUIRE_TOOLS=1 a missing tool fails the tests instead of
// skipping them.
//
// # Testing any remote for conformance
//
// The conformance scripts check only what git-annex relies on: the
// start-up, INITREMOTE and PREPARE, key/value storage, storage that cannot
// be reached, and export and import when the remote says it supports them.
// Their annex command plays git-annex interactively from a session file of
// "> request" and "< reply" lines, answering the remote's queries itself
// (see annex_command_test.go). Without EXPORTTREE_REMOTE_BIN they run
// against this program on a directory and on S3, and against a minimal
// remote in POSIX sh (testdata/conformance-example); run them against
// another remote with:
//
//	EXPORTTREE_REMOTE_BIN=/path/to/git-annex-remote-foo \
//	EXPORTTREE_CONFORMANCE_CONFIG='directory=$WORK/store' \
//	go test ./testscript -run TestConformance -v
//
// EXPORTTREE_REMOTE_BIN is an absolute path (go test runs in the package's
// directory). EXPORTTREE_CONFORMANCE_CONFIG holds the remote's settings,
// NAME=VALUE separated by spaces, answered to GETCONFIG. Each script has a
// fresh directory $WORK holding an empty $WORK/store, and a name $STOREID
// unique to the script, for storage elsewhere (prefix=$STOREID/).
package testscript

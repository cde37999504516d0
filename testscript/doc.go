// Package testscript holds the project's testscript suites, run by go test:
//
//   - testdata/protocol: protocol transcripts. A stdin file plays git-annex,
//     the script runs the remote with exec and compares its replies. They
//     need no git-annex and run against any external special remote binary.
//   - testdata/e2e: end-to-end scripts that drive a real git-annex against
//     real storage, once per git-annex version (Debian bookworm's and sid's).
//
// The remote under test is built from this module, or is the binary named
// by EXPORTTREE_REMOTE_BIN (so authors of other remotes can run the
// protocol suite against theirs). The git-annex versions are found through
// EXPORTTREE_GIT_ANNEX_BOOKWORM and EXPORTTREE_GIT_ANNEX_SID_BIN (directories
// holding a git-annex binary); scripts/test sets them. With
// EXPORTTREE_REQUIRE_TOOLS=1 a missing tool fails the tests instead of
// skipping them.
package testscript

// Package protocol lets a Go program be a git-annex external special remote:
// a program named git-annex-remote-NAME that git-annex starts and talks to
// over stdin and stdout to store, retrieve, check and remove content, either
// by key or, with exporttree=yes, as a tree of named files. The package
// speaks the wire (framing, the request loop, the ASYNC extension, replies,
// and the queries a remote makes back to git-annex) and knows nothing about
// storage.
//
// # Writing a remote
//
// Implement [Remote] and the optional interfaces for what the remote can do;
// Serve finds them by type assertion, so git-annex is told exactly what is
// implemented:
//
//   - [KeyValue]: TRANSFER, CHECKPRESENT, REMOVE (needed by `git annex
//     testremote`, copy --to and get of a plain special remote);
//   - [Exporter]: EXPORTSUPPORTED and the export requests (exporttree=yes);
//   - [Importer]: IMPORTSUPPORTED and the import requests (importtree=yes),
//     with [ImportKeyer] for the IMPORTKEY extension;
//   - [ConditionalExporter]: the conditional draft's requests;
//   - [Configurer]: LISTCONFIGS, the parameters initremote accepts;
//   - [Informer], [Coster], [Availabler], [Whereiser]: GETINFO, GETCOST,
//     GETAVAILABILITY, WHEREIS.
//
// main then serves stdin and stdout until git-annex closes stdin:
//
//	func main() {
//		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
//		defer stop()
//		if err := protocol.Serve(ctx, &myRemote{}, os.Stdin, os.Stdout, protocol.Options{}); err != nil {
//			fmt.Fprintln(os.Stderr, err)
//			os.Exit(1)
//		}
//	}
//
// Install the binary on PATH as git-annex-remote-NAME and create a remote with
// `git annex initremote R type=external externaltype=NAME encryption=none`.
// Write nothing to stdout yourself: it carries protocol lines only. Log with
// [Annex.Debug] (shown by `git annex --debug`) or to [Options].Stderr.
//
// # Requests and replies
//
// Each handler's result becomes the reply:
//
//	INITREMOTE, PREPARE         nil: -SUCCESS; error: -FAILURE <error text>
//	TRANSFER STORE|RETRIEVE     TRANSFER-SUCCESS <dir> <key> / TRANSFER-FAILURE <dir> <key> <error text>
//	TRANSFEREXPORT ...          the same replies as TRANSFER
//	CHECKPRESENT[EXPORT]        true: CHECKPRESENT-SUCCESS; false: -FAILURE; error: CHECKPRESENT-UNKNOWN <key> <error text>
//	REMOVE, REMOVEEXPORT        REMOVE-SUCCESS <key> / REMOVE-FAILURE <key> <error text>
//	REMOVEEXPORTDIRECTORY       REMOVEEXPORTDIRECTORY-SUCCESS / -FAILURE
//	RENAMEEXPORT                RENAMEEXPORT-SUCCESS <key> / -FAILURE <key>
//	LISTCONFIGS                 CONFIG <name> <description> ... CONFIGEND
//	GETINFO                     INFOFIELD/INFOVALUE pairs, INFOEND (an error gives an empty list)
//	GETCOST, GETAVAILABILITY    COST <n>, AVAILABILITY GLOBAL|LOCAL (an error: UNSUPPORTED-REQUEST)
//	WHEREIS                     WHEREIS-SUCCESS <text>; "" or an error: WHEREIS-FAILURE
//	EXPORTSUPPORTED             -SUCCESS iff the Remote is an Exporter
//	IMPORTSUPPORTED             -SUCCESS iff the Remote is an Importer
//	LISTIMPORTABLECONTENTS      per emit: IMPORTABLECONTENT <size> <name>, IMPORTABLECONTENTIDENTIFIER <cid>;
//	                            then LISTIMPORTABLECONTENTS-SUCCESS / -FAILURE <error text>
//	RETRIEVEIMPORT              RETRIEVEIMPORT-SUCCESS / RETRIEVEIMPORT-FAILURE <error text>
//	CHECKPRESENTIMPORT          as CHECKPRESENT: CHECKPRESENT-SUCCESS|-FAILURE <key> / -UNKNOWN <key> <error text>
//	IMPORTKEY                   IMPORTKEY-SUCCESS <key> / IMPORTKEY-FAILURE <error text> (never IMPORTKEY-SKIP)
//	STOREEXPORTEXPECTED         STORE-SUCCESS <key> <cid> / STORE-FAILURE <key> <error text>
//	RETRIEVEEXPORTEXPECTED      RETRIEVE-SUCCESS / RETRIEVE-FAILURE <error text>
//	CHECKPRESENTEXPORTEXPECTED  as CHECKPRESENT
//	REMOVEEXPORTEXPECTED        as REMOVE
//	REMOVEEXPORTDIRECTORYWHENEMPTY  REMOVEEXPORTDIRECTORY-SUCCESS / -FAILURE
//
// EXPORT, IMPORT, LOCATION, EXPECTED and NOTHINGEXPECTED are state for the
// next request and never answered (unless they break the protocol).
//
// A handler returning an error that matches [ErrUnsupported] gets
// UNSUPPORTED-REQUEST instead, as does a request for an interface the Remote
// does not implement and every request this package does not know (git-annex
// adds requests over time and copes with UNSUPPORTED-REQUEST). A handler that
// panics is recovered: its request fails with "internal error ..." and the
// panic's stack goes to Options.Stderr. Newlines in error texts become spaces.
//
// git-annex checks CHECKPRESENTEXPORT before every upload and skips the upload
// on SUCCESS, so answer true only when the complete content is there, and an
// error (UNKNOWN), never false, when the storage cannot be reached.
//
// # Talking back to git-annex
//
// Every handler gets an [*Annex] for its request: GETCONFIG, SETCONFIG,
// GETCREDS, SETCREDS, GETUUID, GETGITDIR, GETGITREMOTENAME, GETSTATE,
// SETSTATE, DIRHASH, DIRHASH-LOWER, DEBUG, INFO, PROGRESS and ERROR. Queries
// block until git-annex answers. When git-annex answers a query with ERROR,
// the query returns an error matching [ErrQueryRefused] and the session goes
// on; 10.20230126 does this during INITREMOTE for GETGITREMOTENAME, GETSTATE
// and SETSTATE. SETSTATE and SETCREDS have no reply when they succeed, so
// each is followed by a GETUUID: an ERROR before its answer is the refusal,
// and every later answer still reaches the query it belongs to. A query
// whose context ends first returns the context's error; git-annex answers
// it all the same, and that late answer is dropped.
//
// During TRANSFER, TRANSFEREXPORT, RETRIEVEIMPORT, STOREEXPORTEXPECTED and
// RETRIEVEEXPORTEXPECTED, report progress with [Annex.Progress]
// or by wrapping the data in [Annex.ProgressReader] or [Annex.ProgressWriter].
// At most about four PROGRESS lines a second are sent, the first a quarter
// of a second into the transfer, so a quick transfer sends none: git-annex
// pays more for a meter line than it shows. Before a failure the last value
// is always sent, since git-annex retries a failed transfer at once only if
// it saw progress; so report it.
//
// # Framing
//
// Serve frames lines as git-annex does. A message is a word and a fixed
// number of parameters; all but the last end at the next single space, and
// the last is every remaining byte, so file names keep runs of spaces, tabs,
// a leading space or dash, a trailing space, %, and bytes that are not UTF-8.
// "VALUE" and "VALUE " both carry the empty value. Lines end in LF; a CR
// before it is dropped where the line ends in a key or a word, and kept where
// it ends in free text such as a file name, where it may be data. Lines of up
// to [DefaultMaxLine] bytes are accepted; a longer one is skipped and answered
// ERROR.
//
// Serve writes VERSION 2 first. A git-annex that answers ERROR is too old:
// Serve explains on stderr and returns an error. It answers EXTENSIONS with
// those offered that it implements (INFO, GETGITREMOTENAME, ASYNC, and
// IMPORTKEY for an [ImportKeyer]) and never names one git-annex did not
// offer.
//
// # Protocol errors
//
// A known request with parameters that do not fit (a missing key, a wrong
// direction, a size that is not a number), an export request without EXPORT
// right before it, an import request without IMPORT, a request of the
// conditional draft without LOCATION or after both EXPECTED and
// NOTHINGEXPECTED, and an EXPECTED or NOTHINGEXPECTED without LOCATION, are
// answered ERROR <reason>. git-annex treats ERROR as fatal for the remote
// and stops using it; Serve keeps reading, which is harmless and keeps a peer
// that writes on from blocking, and returns nil at end of input as usual.
// Answers nobody asked for, and ERRORs from git-annex outside a query, are
// reported on Options.Stderr and otherwise ignored.
//
// # Concurrency: ASYNC
//
// When git-annex offers ASYNC (and [Options].DisableAsync is false), one
// process serves all of git-annex's jobs: every line but VERSION, EXTENSIONS
// and ERROR carries "J <n> ", and requests of different jobs run concurrently,
// each job on its own goroutine with its own EXPORT, IMPORT and LOCATION
// state and its own answers.
// Remote methods must therefore be safe for concurrent use. Replies are
// written whole, one line at a time, and one job's failure does not affect
// the others. Job numbers are reused for later requests. Without ASYNC,
// requests come one at a time, but git-annex -J runs several processes
// against the same storage at once.
//
// # Import
//
// git-annex (10.20260717 and later) lists with LISTIMPORTABLECONTENTS and
// believes a successful listing completely: files it does not name are
// deleted from the imported tree. [Importer.ListImportableContents] streams
// its entries through emit, written a few hundred at a time (or after a
// tenth of a second), and any error makes the
// whole listing LISTIMPORTABLECONTENTS-FAILURE, never a shorter success.
// emit refuses names git-annex mishandles (see [CleanImportName]) so the
// remote can leave them out. IMPORT <name> comes before RETRIEVEIMPORT,
// CHECKPRESENTIMPORT and IMPORTKEY and is never answered: a reply would
// desynchronise git-annex.
//
// # The conditional draft
//
// A design never shipped in git-annex, implemented here under its own names:
// before STOREEXPORTEXPECTED, RETRIEVEEXPORTEXPECTED,
// CHECKPRESENTEXPORTEXPECTED and REMOVEEXPORTEXPECTED come LOCATION <name>
// and then any number of EXPECTED <cid> lines or one NOTHINGEXPECTED, none
// of them answered; the request acts only when the content at the name is
// as expected. See [ConditionalExporter] and [Location].
//
// # Export names
//
// EXPORT <name> sets the name for exactly the one request that follows on the
// same job; the name is passed to the handler unchanged. IMPORT <name> and
// LOCATION <name> (with its EXPECTED lines) work the same way, and the one
// request after any of them consumes whatever was set, whichever request it
// is. git-annex 10.20230126 sends a newline in a file name raw, so the rest
// of the name arrives as a line of its own. A line after EXPORT, IMPORT or
// LOCATION that is not a message (without ASYNC: whose word is not a known
// message; with ASYNC: without "J <n>") is taken as the rest of the name,
// and the following request fails for that one file without calling the
// handler: CHECKPRESENT-FAILURE, TRANSFER-FAILURE and REMOVE-FAILURE with
// "file names containing a newline cannot be exported", or
// RENAMEEXPORT-FAILURE; after IMPORT, RETRIEVEIMPORT-FAILURE,
// IMPORTKEY-FAILURE or CHECKPRESENT-UNKNOWN with "... cannot be imported";
// after LOCATION, STORE-FAILURE, RETRIEVE-FAILURE, CHECKPRESENT-FAILURE or
// REMOVE-FAILURE. The session stays in step.
//
// A name that ends a request can hold a newline too: the new name of
// RENAMEEXPORT, and the directory of REMOVEEXPORTDIRECTORY and
// REMOVEEXPORTDIRECTORYWHENEMPTY. git-annex writes each message at once, so
// the lines that continue such a name have normally been read with the
// request; they are joined to the name, and the request fails without
// calling the handler (RENAMEEXPORT-FAILURE, REMOVEEXPORTDIRECTORY-FAILURE;
// the reason goes to Options.Stderr), since no file with such a name can
// have been exported. Serve never waits for input to find them. A part not
// yet read when the request is handed on comes too late: the handler gets
// the name cut short, and that part is reported on Options.Stderr and never
// answered, so the session stays in step.
package protocol

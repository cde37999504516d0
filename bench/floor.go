package main

// The floor: the least any external special remote could do, answered from
// one loop on one goroutine. Over the protocol it is the floor of a round
// trip; driven by git-annex (git-annex-remote-floor<mode> on PATH, see
// installFloor) it is the floor of an export. What the program takes beyond
// it is the program's own cost.
//
// It is no remote to keep data in: it trusts every name git-annex sends,
// speaks no INFO (and ASYNC only when it stores nothing: every answer is
// then immediate, so one loop serves every job), and is not correct under
// races (two processes storing one name, a store beside a removal); the
// benchmark's exports never race.

import (
	"bufio"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// envFloor makes this binary the floor remote; its value is the mode.
const envFloor = "EXPORTTREE_BENCH_FLOOR"

// The floor's modes.
const (
	floorPlain   = "plain"   // a temporary beside the name, renamed into place, as git-annex's directory remote stores
	floorDurable = "durable" // the same with the fsync pair the program does: the file before the rename, its directory after
	floorNoStore = "nostore" // store nothing: every name is absent, every store succeeds at once
	// The same, speaking ASYNC: one process for all of git-annex's jobs,
	// as the program runs.
	floorNoStoreAsync = "nostoreasync"
)

func isFloor() bool { return os.Getenv(envFloor) != "" }

// floor serves git-annex until its input ends.
func floor() int {
	mode := os.Getenv(envFloor)
	async := mode == floorNoStoreAsync
	nostore := mode == floorNoStore || async
	in, out := bufio.NewReader(os.Stdin), bufio.NewWriter(os.Stdout)
	job := "" // "J <n> " of the request being answered, under ASYNC
	reply := func(line string) bool {
		out.WriteString(job + line + "\n")
		return out.Flush() == nil
	}
	if !reply("VERSION 2") {
		return 1
	}
	var dir, name string // the export's directory; the name of the next request
	for {
		line, err := in.ReadString('\n')
		if err != nil {
			return 0
		}
		line = strings.TrimSuffix(line, "\n")
		job = ""
		if async && strings.HasPrefix(line, "J ") {
			n, request, _ := strings.Cut(line[2:], " ")
			job, line = "J "+n+" ", request
		}
		word, rest, _ := strings.Cut(line, " ")
		var ok bool
		switch word {
		case "EXPORT":
			name = rest
			continue
		case "EXTENSIONS":
			if async {
				ok = reply("EXTENSIONS ASYNC")
			} else {
				ok = reply("EXTENSIONS")
			}
		case "INITREMOTE":
			ok = reply("INITREMOTE-SUCCESS")
		case "EXPORTSUPPORTED":
			ok = reply("EXPORTSUPPORTED-SUCCESS")
		case "PREPARE":
			if nostore {
				ok = reply("PREPARE-SUCCESS")
				break
			}
			if !reply("GETCONFIG directory") {
				return 1
			}
			value, err := in.ReadString('\n')
			dir = strings.TrimPrefix(strings.TrimSuffix(value, "\n"), "VALUE ")
			ok = err == nil && reply("PREPARE-SUCCESS")
		case "CHECKPRESENTEXPORT":
			// git-annex asks before every store and skips it on SUCCESS.
			answer := "CHECKPRESENT-FAILURE "
			if !nostore {
				if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
					answer = "CHECKPRESENT-SUCCESS "
				}
			}
			ok = reply(answer + rest)
		case "TRANSFEREXPORT":
			op, keyFile, _ := strings.Cut(rest, " ")
			key, file, _ := strings.Cut(keyFile, " ")
			switch {
			case op != "STORE":
				ok = reply("TRANSFER-FAILURE " + op + " " + key + " the floor only stores")
			case nostore:
				ok = reply("TRANSFER-SUCCESS STORE " + key)
			default:
				ok = reply(floorResult("TRANSFER-", "STORE "+key, bareStore(dir, name, file, mode == floorDurable)))
			}
		case "REMOVEEXPORT":
			err := os.Remove(filepath.Join(dir, name))
			if errors.Is(err, fs.ErrNotExist) {
				err = nil
			}
			ok = reply(floorResult("REMOVE-", rest, err))
		case "REMOVEEXPORTDIRECTORY":
			answer := "REMOVEEXPORTDIRECTORY-SUCCESS"
			if os.RemoveAll(filepath.Join(dir, rest)) != nil {
				answer = "REMOVEEXPORTDIRECTORY-FAILURE"
			}
			ok = reply(answer)
		case "ERROR":
			return 1
		default:
			// RENAMEEXPORT among them: git-annex then removes and stores again.
			ok = reply("UNSUPPORTED-REQUEST")
		}
		if !ok {
			return 1
		}
	}
}

// floorResult is the reply PREFIX-SUCCESS args, or PREFIX-FAILURE args err.
func floorResult(prefix, args string, err error) string {
	if err == nil {
		return prefix + "SUCCESS " + args
	}
	return prefix + "FAILURE " + args + " " + strings.ReplaceAll(err.Error(), "\n", " ")
}

// floorCommand runs this binary as the floor remote that stores nothing,
// for round trips over the protocol.
func (b *bench) floorCommand() *exec.Cmd {
	cmd := exec.CommandContext(b.ctx, b.self)
	cmd.Env = append(os.Environ(), envFloor+"="+floorNoStore)
	return cmd
}

// installFloor puts git-annex-remote-floor<mode> for each mode on the PATH
// git-annex runs with: a script that runs this binary in that mode.
func (b *bench) installFloor() error {
	self := "'" + strings.ReplaceAll(b.self, "'", `'\''`) + "'"
	for _, mode := range []string{floorPlain, floorDurable, floorNoStore, floorNoStoreAsync} {
		script := "#!/bin/sh\n" + envFloor + "=" + mode + " exec " + self + " \"$@\"\n"
		if err := os.WriteFile(filepath.Join(b.work, "path", "git-annex-remote-"+floorType(mode)), []byte(script), 0o755); err != nil {
			return err
		}
	}
	return nil
}

// floorType is the externaltype of the floor in mode.
func floorType(mode string) string { return "floor" + mode }

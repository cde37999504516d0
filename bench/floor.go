package main

// The floor of a protocol round trip: a remote that answers from one loop
// on one goroutine and touches no storage. What the program takes beyond
// it and beyond its backend's own work is its protocol layer's cost.

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
)

// envFloor makes this binary the floor remote.
const envFloor = "EXPORTTREE_BENCH_FLOOR"

func isFloor() bool { return os.Getenv(envFloor) == "1" }

// floor answers what a CHECKPRESENTEXPORT session needs, until its input
// ends.
func floor() int {
	in, out := bufio.NewReader(os.Stdin), bufio.NewWriter(os.Stdout)
	reply := func(line string) bool {
		out.WriteString(line + "\n")
		return out.Flush() == nil
	}
	if !reply("VERSION 2") {
		return 1
	}
	for {
		line, err := in.ReadString('\n')
		if err != nil {
			return 0
		}
		word, rest, _ := strings.Cut(strings.TrimSuffix(line, "\n"), " ")
		var ok bool
		switch word {
		case "EXPORT":
			continue // the name is for the next request
		case "EXTENSIONS":
			ok = reply("EXTENSIONS")
		case "PREPARE":
			ok = reply("PREPARE-SUCCESS")
		case "CHECKPRESENTEXPORT":
			ok = reply("CHECKPRESENT-SUCCESS " + rest)
		default:
			ok = reply("UNSUPPORTED-REQUEST")
		}
		if !ok {
			return 1
		}
	}
}

// floorCommand runs this binary as the floor remote.
func (b *bench) floorCommand() *exec.Cmd {
	cmd := exec.CommandContext(b.ctx, b.self)
	cmd.Env = append(os.Environ(), envFloor+"=1")
	return cmd
}

// Package procstat reads what the benchmark needs from /proc. It stays
// small: the wrapper that git-annex runs imports it, and the wrapper's own
// memory must stay far below the program's (see ../../rss.go).
package procstat

import (
	"fmt"
	"os"
	"strings"
)

// VmHWM returns a live process's peak RSS in bytes ("self" for this one).
func VmHWM(pid string) (int64, error) {
	data, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		var kib int64
		if _, err := fmt.Sscanf(line, "VmHWM: %d kB", &kib); err == nil {
			return kib * 1024, nil
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%s/status", pid)
}

package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"
)

// machine describes where the benchmark ran, as lines of Markdown;
// loadStart is the load average when it started.
func machine(work, annexBin, minio, loadStart string) []string {
	var lines []string
	add := func(name, value string) { lines = append(lines, fmt.Sprintf("- %s: %s", name, value)) }
	add("CPU", fmt.Sprintf("%s, %d logical CPUs", cpuModel(), runtime.NumCPU()))
	add("memory", memTotal())
	var u unix.Utsname
	if unix.Uname(&u) == nil {
		add("kernel", unix.ByteSliceToString(u.Sysname[:])+" "+unix.ByteSliceToString(u.Release[:]))
	}
	add("temporary directory", fmt.Sprintf("%s on %s", work, filesystem(work)))
	add("git-annex", firstLine(filepath.Join(annexBin, "git-annex"), "version", "--raw")+" ("+annexBin+")")
	add("Go", runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH)
	add("MinIO", minioVersion(minio))
	add("load average at start", loadStart)
	add("load average at end", loadAverage())
	return lines
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if name, value, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(name) == "model name" {
			return strings.TrimSpace(value)
		}
	}
	return "unknown CPU"
}

func memTotal() string {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(data), "\n") {
		var kib int64
		if _, err := fmt.Sscanf(line, "MemTotal: %d kB", &kib); err == nil {
			return fmt.Sprintf("%.1f GiB", float64(kib)/(1<<20))
		}
	}
	return "unknown"
}

// filesystem names the type and device of the mount that holds path: the
// mount point in /proc/self/mountinfo that is its longest prefix.
func filesystem(path string) string {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return "unknown filesystem"
	}
	best, desc := "", "unknown filesystem"
	for _, line := range strings.Split(string(data), "\n") {
		// ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS ... - FSTYPE SOURCE SUPEROPTS
		left, right, ok := strings.Cut(line, " - ")
		f, r := strings.Fields(left), strings.Fields(right)
		if !ok || len(f) < 5 || len(r) < 2 {
			continue
		}
		mp := f[4]
		if (path == mp || strings.HasPrefix(path, strings.TrimSuffix(mp, "/")+"/")) && len(mp) >= len(best) {
			best, desc = mp, fmt.Sprintf("%s (%s, mounted at %s, %s)", r[0], r[1], mp, f[5])
		}
	}
	return desc
}

func firstLine(bin string, args ...string) string {
	out, err := exec.Command(bin, args...).Output()
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return line
}

func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ") + " (1, 5, 15 minutes)"
}

// minioVersion is the module version MinIO was built from (scripts/install-minio
// pins it); the binary's own --version says only DEVELOPMENT for such builds.
func minioVersion(bin string) string {
	out, err := exec.Command("go", "version", "-m", bin).Output()
	if err == nil {
		for _, line := range strings.Split(string(out), "\n") {
			if f := strings.Fields(line); len(f) >= 3 && f[0] == "mod" {
				return f[1] + " " + f[2]
			}
		}
	}
	return firstLine(bin, "--version")
}

package main

// LISTIMPORTABLECONTENTS of many names: time against a bare listing, and
// peak RSS against a listing of a tenth as many names.

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/minio/minio-go/v7"
)

// protoList lists over the protocol in a fresh program process, timing
// only the listing, and checks the number of names.
func (b *bench) protoList(config map[string]string, want int) (sample, error) {
	s, err := b.start(config)
	if err != nil {
		return sample{}, err
	}
	n := 0
	smp, err := timed(func() error {
		if err := s.Send("LISTIMPORTABLECONTENTS"); err != nil {
			return s.fail(err)
		}
		for {
			line, err := s.Next()
			switch {
			case err != nil:
				return s.fail(err)
			case strings.HasPrefix(line, "IMPORTABLECONTENT "):
				n++
			case strings.HasPrefix(line, "IMPORTABLECONTENTIDENTIFIER "):
			case line == "LISTIMPORTABLECONTENTS-SUCCESS":
				return nil
			default:
				return s.fail(fmt.Errorf("LISTIMPORTABLECONTENTS: unexpected %q", line))
			}
		}
	})
	if err == nil && n != want {
		// The program is still running: end it with the error.
		err = s.fail(fmt.Errorf("listed %d names, want %d", n, want))
	}
	if err != nil {
		return smp, err
	}
	err = s.close(&smp)
	return smp, err
}

// makeNames writes n one-byte files below dir.
func makeNames(dir string, n int) error {
	for i := range n {
		p := filepath.Join(dir, treeName(i))
		if i%100 == 0 {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
		}
		if err := os.WriteFile(p, []byte{'x'}, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// putNames puts n one-byte objects under prefix, a few PUTs at a time
// (MinIO on two CPUs is the bottleneck, not the client).
func (b *bench) putNames(bucket, prefix string, n int) error {
	const workers = 8
	names := make(chan string)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for name := range names {
				_, err := b.s3.client.PutObject(b.ctx, bucket, name, strings.NewReader("x"), 1,
					minio.PutObjectOptions{ContentType: "application/octet-stream"})
				if err != nil {
					errs <- err
					for range names {
					}
					return
				}
			}
		}()
	}
	for i := range n {
		names <- prefix + treeName(i)
	}
	close(names)
	wg.Wait()
	select {
	case err := <-errs:
		return fmt.Errorf("putting %d objects: %w", n, err)
	default:
		return nil
	}
}

// findList lists dir with find, printing what a content identifier needs
// (size, inode, mtime) and the name, and checks the number of names.
func findList(dir string, want int) (sample, error) {
	return timed(func() error {
		cmd := exec.Command("find", dir, "-type", "f", "-printf", "%s %i %T@ %P\n")
		out, err := cmd.StdoutPipe()
		if err != nil {
			return err
		}
		if err := cmd.Start(); err != nil {
			return err
		}
		n := 0
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			n++
		}
		if err := cmd.Wait(); err != nil {
			return err
		}
		if n != want {
			return fmt.Errorf("find listed %d names, want %d", n, want)
		}
		return nil
	})
}

func (b *bench) bareS3List(bucket, prefix string, want int) (sample, error) {
	return timed(func() error {
		n, err := b.s3.countObjects(b.ctx, bucket, prefix)
		if err == nil && n != want {
			err = fmt.Errorf("listed %d objects, want %d", n, want)
		}
		return err
	})
}

func (b *bench) listRows() error {
	many, few := b.sc.names, b.sc.fewNames
	dir := filepath.Join(b.work, "names")
	manyDir, fewDir := filepath.Join(dir, "many"), filepath.Join(dir, "few")
	logf("making %d and %d files", many, few)
	if err := makeNames(manyDir, many); err != nil {
		return err
	}
	if err := makeNames(fewDir, few); err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bucket, err := b.bucket()
	if err != nil {
		return err
	}
	// The few names on MinIO are the first of the many: a key prefix
	// selects them (treeName puts 100 names in each of d000, d001, ...).
	zeros := 0
	for d := few / 100; d > 0 && d < 1000; d *= 10 { // few < 100 is refused below
		zeros++
	}
	fewPrefix := "many/d" + strings.Repeat("0", zeros)
	if want := 100 * pow10(3-zeros); few != want || few > many {
		return fmt.Errorf("%d names cannot be selected by a prefix of %d", few, many)
	}
	logf("putting %d objects into MinIO", many)
	if err := b.putNames(bucket, "many/", many); err != nil {
		return err
	}

	for _, st := range []struct {
		name, baseline string
		config         func(which string) map[string]string
		bare           func() (sample, error)
	}{
		{"directory", "find -printf of size, inode, mtime and name",
			func(which string) map[string]string { return dirConfig(filepath.Join(dir, which), true) },
			func() (sample, error) { return findList(manyDir, many) }},
		{"MinIO", "minio-go ListObjects of the same names in this process (no metadata)",
			func(which string) map[string]string {
				if which == "few" {
					return b.s3Config(bucket, fewPrefix, true)
				}
				return b.s3Config(bucket, "many/", true)
			},
			func() (sample, error) { return b.bareS3List(bucket, "many/", many) }},
	} {
		t := b.add(&row{name: fmt.Sprintf("LISTIMPORTABLECONTENTS of %d names, %s", many, st.name),
			ours: "this program over the protocol", baseline: st.baseline,
			perOp: many, opName: "name", checkRSS: true})
		err := b.compare(t, b.sc.listBigRuns,
			func() (sample, error) { return b.protoList(st.config("many"), many) }, st.bare)
		if err != nil {
			return err
		}
		// The same runs' memory, against listings of few names.
		m := b.add(&row{name: fmt.Sprintf("peak RSS of LISTIMPORTABLECONTENTS, %d names against %d, %s", many, few, st.name),
			ours: fmt.Sprintf("this program, %d names", many), baseline: fmt.Sprintf("this program, %d names", few),
			unit: memory, maxRatio: 1.25, targetText: "memory does not grow: ≤ 1.25×", checkRSS: true})
		for _, s := range t.oursRuns {
			m.oursRuns = append(m.oursRuns, sample{value: float64(s.rss), rss: s.rss})
		}
		for range b.sc.listBigRuns {
			s, err := b.protoList(st.config("few"), few)
			if err != nil {
				m.failed = fmt.Sprintf("baseline, run %d: %v", len(m.baseRuns)+1, tail([]byte(err.Error()), 400))
				return err
			}
			m.baseRuns = append(m.baseRuns, sample{value: float64(s.rss), rss: s.rss})
		}
		logf("   %s: %s vs %s", m.name, formatBytes(peakRSS(m.oursRuns)), formatBytes(peakRSS(m.baseRuns)))
	}
	return nil
}

func pow10(n int) int {
	p := 1
	for range n {
		p *= 10
	}
	return p
}

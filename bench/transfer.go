package main

// A single large file stored and retrieved over the protocol, against the
// physical limit of this machine measured in the same run.

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/minio/minio-go/v7"
)

func dirConfig(dir string, guard bool) map[string]string {
	c := map[string]string{"directory": dir}
	if !guard {
		c["guardexport"] = "no"
	}
	return c
}

func (b *bench) s3Config(bucket, prefix string, guard bool) map[string]string {
	c := map[string]string{"backend": "s3", "bucket": bucket, "prefix": prefix,
		"endpoint": "http://" + b.s3.host, "requeststyle": "path"}
	if !guard {
		c["guardexport"] = "no"
	}
	return c
}

// fakeKey is a well-formed key for size bytes; the program never hashes
// content (git-annex does), it only checks the size.
func fakeKey(size int64, n int) string {
	return fmt.Sprintf("SHA256E-s%d--%064x.bin", size, n)
}

// protoStore stores file under name over the protocol in a fresh program
// process, timing only the request.
func (b *bench) protoStore(config map[string]string, name, key, file string) (sample, error) {
	s, err := b.start(config)
	if err != nil {
		return sample{}, err
	}
	smp, err := timed(func() error {
		return s.expect("TRANSFER-SUCCESS STORE "+key, "EXPORT "+name, "TRANSFEREXPORT STORE "+key+" "+file)
	})
	if err != nil {
		return smp, err
	}
	err = s.close(&smp)
	return smp, err
}

// protoRetrieve retrieves name into file over the protocol in a fresh
// program process, timing only the request.
func (b *bench) protoRetrieve(config map[string]string, name, key, file string) (sample, error) {
	s, err := b.start(config)
	if err != nil {
		return sample{}, err
	}
	smp, err := timed(func() error {
		return s.expect("TRANSFER-SUCCESS RETRIEVE "+key, "EXPORT "+name, "TRANSFEREXPORT RETRIEVE "+key+" "+file)
	})
	if err != nil {
		return smp, err
	}
	err = s.close(&smp)
	return smp, err
}

func checkSize(path string, want int64) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.Size() != want {
		return fmt.Errorf("%s has %d bytes, want %d", path, fi.Size(), want)
	}
	return nil
}

func (b *bench) transferRows() error {
	size := b.sc.big
	big := filepath.Join(b.work, "big.bin")
	logf("writing a %s file", formatBytes(size))
	if err := writeRandom(big, size, 42); err != nil {
		return err
	}
	defer os.Remove(big)
	key := fakeKey(size, 42)
	what := fmt.Sprintf("one %s file over the protocol", formatBytes(size))
	xfer := func(r *row) *row {
		r.bytes, r.checkRSS, r.maxRatio, r.targetText = size, true, 1/0.9, "≥ 0.9× throughput (≤ 1.11× time)"
		r.warmUp = true
		return b.add(r)
	}
	dest := filepath.Join(b.work, "retrieved.bin")
	fresh := func() (string, error) {
		dir := filepath.Join(b.work, b.next("xfer"))
		return dir, os.MkdirAll(dir, 0o755)
	}

	// Directory: the program fsyncs the file and its directory, as
	// `sync FILE DIR` does after cp; retrieval fsyncs nothing, nor does cp.
	r := xfer(&row{name: "TRANSFEREXPORT STORE, " + what + ", directory", ours: "this program",
		baseline: "cp, then sync of the file and its directory"})
	err := b.compare(r, b.sc.runs, func() (sample, error) {
		dir, err := fresh()
		if err != nil {
			return sample{}, err
		}
		defer os.RemoveAll(dir)
		s, err := b.protoStore(dirConfig(dir, true), "big.bin", key, big)
		if err == nil {
			err = checkSize(filepath.Join(dir, "big.bin"), size)
		}
		return s, err
	}, func() (sample, error) {
		dir, err := fresh()
		if err != nil {
			return sample{}, err
		}
		defer os.RemoveAll(dir)
		dst := filepath.Join(dir, "big.bin")
		return timed(func() error {
			if err := command("cp", big, dst); err != nil {
				return err
			}
			return command("sync", dst, dir)
		})
	})
	if err != nil {
		return err
	}

	src, err := fresh()
	if err != nil {
		return err
	}
	defer os.RemoveAll(src)
	if _, err := b.protoStore(dirConfig(src, true), "big.bin", key, big); err != nil {
		return err
	}
	r = xfer(&row{name: "TRANSFEREXPORT RETRIEVE, " + what + ", directory", ours: "this program",
		baseline: "cp (neither syncs)"})
	err = b.compare(r, b.sc.runs, func() (sample, error) {
		defer os.Remove(dest)
		s, err := b.protoRetrieve(dirConfig(src, true), "big.bin", key, dest)
		if err == nil {
			err = checkSize(dest, size)
		}
		return s, err
	}, func() (sample, error) {
		defer os.Remove(dest)
		return timed(func() error { return command("cp", filepath.Join(src, "big.bin"), dest) })
	})
	if err != nil {
		return err
	}
	os.RemoveAll(src)

	// MinIO: the same bytes with a bare minio-go client in this process.
	bucket, err := b.bucket()
	if err != nil {
		return err
	}
	c := b.s3.client
	r = xfer(&row{name: "TRANSFEREXPORT STORE, " + what + ", MinIO", ours: "this program",
		baseline: "minio-go PutObject of the file (defaults)"})
	err = b.compare(r, b.sc.runs, func() (sample, error) {
		name := b.next("ours-") + ".bin"
		defer c.RemoveObject(b.ctx, bucket, name, minio.RemoveObjectOptions{})
		s, err := b.protoStore(b.s3Config(bucket, "", true), name, key, big)
		if err == nil {
			// As on the directory: a success must have stored the bytes.
			var info minio.ObjectInfo
			if info, err = c.StatObject(b.ctx, bucket, name, minio.StatObjectOptions{}); err == nil && info.Size != size {
				err = fmt.Errorf("%s has %d bytes, want %d", name, info.Size, size)
			}
		}
		return s, err
	}, func() (sample, error) {
		name := b.next("bare-") + ".bin"
		defer c.RemoveObject(b.ctx, bucket, name, minio.RemoveObjectOptions{})
		return timed(func() error {
			f, err := os.Open(big)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = c.PutObject(b.ctx, bucket, name, f, size, minio.PutObjectOptions{ContentType: "application/octet-stream"})
			return err
		})
	})
	if err != nil {
		return err
	}

	if _, err := b.protoStore(b.s3Config(bucket, "", true), "big.bin", key, big); err != nil {
		return err
	}
	r = xfer(&row{name: "TRANSFEREXPORT RETRIEVE, " + what + ", MinIO", ours: "this program",
		baseline: "minio-go GetObject into a file"})
	return b.compare(r, b.sc.runs, func() (sample, error) {
		defer os.Remove(dest)
		s, err := b.protoRetrieve(b.s3Config(bucket, "", true), "big.bin", key, dest)
		if err == nil {
			err = checkSize(dest, size)
		}
		return s, err
	}, func() (sample, error) {
		defer os.Remove(dest)
		s, err := timed(func() error {
			o, err := c.GetObject(b.ctx, bucket, "big.bin", minio.GetObjectOptions{})
			if err != nil {
				return err
			}
			defer o.Close()
			f, err := os.Create(dest)
			if err != nil {
				return err
			}
			if _, err := io.Copy(f, o); err != nil {
				f.Close()
				return err
			}
			return f.Close()
		})
		if err == nil {
			err = checkSize(dest, size)
		}
		return s, err
	})
}

// command runs a command, failing with its output.
func command(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %v: %s", name, err, out)
	}
	return nil
}

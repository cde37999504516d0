// Package s3test runs a real MinIO server for tests of the S3 backend and
// of anything built on it (end-to-end scripts).
//
// Tests that share one server per test binary start with [Shared], and the
// package's TestMain calls [Main] so the server is stopped at the end:
//
//	func TestMain(m *testing.M) { os.Exit(s3test.Main(m)) }
//
//	func TestSomething(t *testing.T) {
//		srv := s3test.Shared(t) // skips when MinIO is not installed
//		bucket := srv.NewBucket(t, true)
//		...
//	}
//
// The MinIO binary is found through the environment variable
// EXPORTTREE_MINIO, else in the build cache (see [Lookup]). When it is
// missing, tests skip, unless EXPORTTREE_REQUIRE_TOOLS=1, when they fail.
package s3test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// AccessKey is the root user of every server started here; each has its
// own random secret (see [Server]), which also proves, at start, that the
// server answering is the one just started.
const AccessKey = "exporttree-test"

// Server is a running MinIO listening on 127.0.0.1.
type Server struct {
	// Endpoint is the server's URL, like http://127.0.0.1:40123.
	Endpoint  string
	AccessKey string
	SecretKey string

	binary, dir, addr, consoleAddr string

	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has been waited for
	log    *syncBuffer
}

// Lookup returns the path of the MinIO binary: $EXPORTTREE_MINIO when set,
// else the binary built into the user cache directory
// (git-annex-remote-exporttree/minio/minio).
func Lookup() (string, error) {
	if p := os.Getenv("EXPORTTREE_MINIO"); p != "" {
		if _, err := exec.LookPath(p); err != nil {
			return "", fmt.Errorf("EXPORTTREE_MINIO=%s: %w", p, err)
		}
		return p, nil
	}
	var tried []string
	for _, dir := range cacheDirs() {
		p := filepath.Join(dir, "git-annex-remote-exporttree", "minio", "minio")
		if _, err := exec.LookPath(p); err == nil {
			return p, nil
		}
		tried = append(tried, p)
	}
	return "", fmt.Errorf("no MinIO binary: EXPORTTREE_MINIO is unset and none at %q", tried)
}

func cacheDirs() []string {
	var dirs []string
	if d, err := os.UserCacheDir(); err == nil {
		dirs = append(dirs, d)
	}
	if home, err := os.UserHomeDir(); err == nil {
		if d := filepath.Join(home, ".cache"); len(dirs) == 0 || dirs[0] != d {
			dirs = append(dirs, d)
		}
	}
	return dirs
}

// Start runs binary as a single-drive MinIO storing its data in dir, on a
// free loopback port, and returns once it answers its liveness probe. The
// caller must Close it.
func Start(binary, dir string) (*Server, error) {
	var random [16]byte
	if _, err := rand.Read(random[:]); err != nil {
		return nil, err
	}
	secret := hex.EncodeToString(random[:])
	var err error
	// A port picked free can be taken before MinIO binds it; try again
	// with other ports.
	for range 5 {
		var s *Server
		s, err = startOnce(binary, dir, secret)
		if err == nil {
			return s, nil
		}
	}
	return nil, err
}

func startOnce(binary, dir, secret string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	consolePort, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	s := &Server{
		Endpoint:    "http://" + addr,
		AccessKey:   AccessKey,
		SecretKey:   secret,
		binary:      binary,
		dir:         dir,
		addr:        addr,
		consoleAddr: net.JoinHostPort("127.0.0.1", strconv.Itoa(consolePort)),
		log:         &syncBuffer{},
	}
	if err := s.run(); err != nil {
		return nil, err
	}
	return s, nil
}

// run starts the MinIO process and waits until it is ready.
func (s *Server) run() error {
	s.exited = make(chan struct{})
	s.cmd = exec.Command(s.binary, "server", "--quiet",
		"--address", s.addr,
		"--console-address", s.consoleAddr,
		"--certs-dir", filepath.Join(s.dir, "certs"),
		filepath.Join(s.dir, "data"))
	s.cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+AccessKey,
		"MINIO_ROOT_PASSWORD="+s.SecretKey,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
	)
	s.cmd.Stdout = s.log
	s.cmd.Stderr = s.log
	s.cmd.SysProcAttr = procAttr()
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("start MinIO: %w", err)
	}
	exited := s.exited
	go func(cmd *exec.Cmd) {
		cmd.Wait()
		close(exited)
	}(s.cmd)
	if err := s.waitReady(60 * time.Second); err != nil {
		s.Close()
		return fmt.Errorf("%w\nMinIO output:\n%s", err, s.log.String())
	}
	return nil
}

// Restart starts the server again after Close, on the same data, address
// and credentials, so clients made for it work again: a test can stop the
// storage in the middle of an operation and bring it back. It must not be
// called while the server runs, nor concurrently with Close.
func (s *Server) Restart() error {
	select {
	case <-s.exited:
	default:
		return errors.New("restart of a running MinIO")
	}
	// The address was ours a moment ago; another process rarely takes
	// it in between, but a few tries cost nothing.
	var err error
	for range 5 {
		if err = s.run(); err == nil {
			return nil
		}
	}
	return err
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitReady polls until MinIO serves requests, MinIO exits, or the limit
// passes; the limit only bounds a broken start. MinIO answers its liveness
// probe before it has loaded its users, and until then refuses unknown
// credentials as "not initialized" rather than as unknown, so readiness is
// an unknown key being refused properly, and the root user (with this
// server's secret) being accepted.
func (s *Server) waitReady(limit time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	u, err := url.Parse(s.Endpoint)
	if err != nil {
		return err
	}
	probe, err := minio.New(u.Host, &minio.Options{
		Creds:      credentials.NewStaticV4("readiness-probe", "readiness-probe-secret", ""),
		MaxRetries: 1,
	})
	if err != nil {
		return err
	}
	root, err := minio.New(u.Host, &minio.Options{
		Creds:      credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""),
		MaxRetries: 1,
	})
	if err != nil {
		return err
	}
	for {
		_, err := probe.ListBuckets(ctx)
		var resp minio.ErrorResponse
		if errors.As(err, &resp) && resp.Code == "InvalidAccessKeyId" {
			if _, err = root.ListBuckets(ctx); err == nil {
				return nil
			}
		}
		select {
		case <-s.exited:
			return fmt.Errorf("MinIO exited before it was ready (%v)", s.cmd.ProcessState)
		case <-ctx.Done():
			return fmt.Errorf("MinIO not ready after %v (last answer: %v)", limit, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Close stops the server: SIGTERM, then SIGKILL if it has not exited
// after a grace period.
func (s *Server) Close() error {
	select {
	case <-s.exited:
		return nil
	default:
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
	}
	return nil
}

// Log returns what the server has written so far, for diagnostics.
func (s *Server) Log() string { return s.log.String() }

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	// Bound what a chatty server keeps in memory.
	if b.buf.Len() > 1<<20 {
		return len(p), nil
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var errNoBinary = errors.New("MinIO not available")

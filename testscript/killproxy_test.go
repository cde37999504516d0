package testscript_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// killProxy stands between a remote and MinIO, and SIGKILLs the remote at
// an exact point of its S3 traffic: when its n-th request arrives (before
// the server sees it), when the server has answered it (before the remote
// hears the answer), or once n bytes of request bodies have gone through
// (the rest of that request never reaches the server).
//
// It also moves the Date of every answer two hours ahead. The S3 backend
// sweeps incomplete multipart uploads only once idle for an hour by the
// server's clock (a younger one may be a live store of another process);
// with that clock ahead, the next process's PREPARE sweeps what a killed
// one left, so the test can require that nothing is left.
type killProxy struct {
	URL string

	srv *httptest.Server
	rp  *httputil.ReverseProxy

	mu       sync.Mutex
	plan     proxyPlan
	kill     func() // kills the remote and returns once it is dead
	requests int
	bytes    int64
	fired    chan struct{} // closed once the plan's kill is done
	firing   bool

	inflight atomic.Int64 // requests not yet answered
}

// proxyPlan says where to kill; the zero plan kills nowhere.
type proxyPlan struct {
	request     int   // kill at the request with this number (1-based)
	afterAnswer bool  // ... once the server has answered it
	bytes       int64 // kill once this many body bytes have passed
}

// dateShift is how far ahead the proxy moves the server's clock: past the
// S3 backend's hour of idleness (backends/s3 staleAfter).
const dateShift = 2 * time.Hour

type killAfterKey struct{}

var errKilled = errors.New("killproxy: the remote was killed here")

func newKillProxy(endpoint string) (*killProxy, error) {
	target, err := url.Parse(endpoint)
	if err != nil {
		return nil, err
	}
	p := &killProxy{fired: make(chan struct{})}
	p.rp = &httputil.ReverseProxy{
		// The Host header stays the proxy's: the remote signed it.
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme, pr.Out.URL.Host = target.Scheme, target.Host
			// A request the server got whole completes, although its
			// sender died: settle waits for it.
			pr.Out = pr.Out.WithContext(context.WithoutCancel(pr.Out.Context()))
		},
		ModifyResponse: func(resp *http.Response) error {
			if d, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
				resp.Header.Set("Date", d.Add(dateShift).UTC().Format(http.TimeFormat))
			}
			if resp.Request.Context().Value(killAfterKey{}) != nil {
				p.fire()
				return errKilled
			}
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			// Whatever went wrong, the remote hears nothing more: a
			// killed remote cannot, and a live one must see a failure.
			panic(http.ErrAbortHandler)
		},
	}
	p.srv = httptest.NewServer(p)
	p.URL = p.srv.URL
	return p, nil
}

func (p *killProxy) Close() { p.srv.Close() }

// arm sets where to kill the remote that kill kills, counting requests and
// bytes from now, and returns a channel closed once it has been killed.
func (p *killProxy) arm(plan proxyPlan, kill func()) <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.plan, p.kill, p.requests, p.bytes = plan, kill, 0, 0
	p.fired, p.firing = make(chan struct{}), false
	return p.fired
}

// disarm stops counting; a kill under way completes.
func (p *killProxy) disarm() {
	p.mu.Lock()
	p.plan = proxyPlan{}
	p.mu.Unlock()
}

// fire kills the remote, once per arming, and waits until it is dead.
func (p *killProxy) fire() {
	p.mu.Lock()
	if p.firing || p.kill == nil {
		p.mu.Unlock()
		return
	}
	p.firing = true
	kill, fired := p.kill, p.fired
	p.mu.Unlock()
	kill()
	close(fired)
}

func (p *killProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.inflight.Add(1)
	defer p.inflight.Add(-1)
	p.mu.Lock()
	p.requests++
	at := p.plan.request != 0 && p.requests == p.plan.request
	after := at && p.plan.afterAnswer
	p.mu.Unlock()
	if at && !after {
		p.fire()
		panic(http.ErrAbortHandler)
	}
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = &countingBody{p: p, rc: r.Body}
	}
	if after {
		r = r.WithContext(context.WithValue(r.Context(), killAfterKey{}, true))
	}
	p.rp.ServeHTTP(w, r)
}

// settle waits until the server has answered every request that reached
// the proxy: what a killed remote sent whole still takes effect, and the
// storage is checked after that.
func (p *killProxy) settle() error {
	for deadline := time.Now().Add(time.Minute); p.inflight.Load() > 0; {
		if time.Now().After(deadline) {
			return errors.New("killproxy: requests still under way after a minute")
		}
		time.Sleep(time.Millisecond)
	}
	return nil
}

// passed counts n more body bytes and returns how many of them come before
// the kill point, and whether the kill point is reached.
func (p *killProxy) passed(n int) (int, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.plan.bytes <= 0 {
		return n, false
	}
	left := p.plan.bytes - p.bytes
	if int64(n) < left {
		p.bytes += int64(n)
		return n, false
	}
	p.bytes = p.plan.bytes
	return int(max(left, 0)), true
}

// countingBody passes a request body on up to the kill point.
type countingBody struct {
	p  *killProxy
	rc io.ReadCloser
}

func (c *countingBody) Read(b []byte) (int, error) {
	n, err := c.rc.Read(b)
	keep, kill := c.p.passed(n)
	if kill {
		c.p.fire()
		return keep, errKilled
	}
	return n, err
}

func (c *countingBody) Close() error { return c.rc.Close() }

// killAndWait SIGKILLs pid and returns once it is dead (a zombie, not yet
// waited for, or gone), so nothing it does can follow.
func killAndWait(pid int) {
	syscall.Kill(pid, syscall.SIGKILL)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return
		}
		// The state follows the command name, which ends with ')'.
		if i := strings.LastIndexByte(string(stat), ')'); i >= 0 && i+2 < len(stat) {
			if s := stat[i+2]; s == 'Z' || s == 'X' {
				return
			}
		}
		time.Sleep(100 * time.Microsecond)
	}
}

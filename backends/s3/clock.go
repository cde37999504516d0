package s3

import (
	"net/http"
	"sync/atomic"
	"time"
)

// serverClock carries the HTTP requests and learns, from the Date header
// of every answer, how far the server's clock is from ours. Sweep judges
// the age of uploads by the server's clock, which stamped them, so a
// machine whose clock is off (no RTC, no NTP) neither aborts live uploads
// nor keeps dead ones forever.
type serverClock struct {
	next   http.RoundTripper
	offset atomic.Int64 // server minus local, in nanoseconds
}

func (c *serverClock) RoundTrip(r *http.Request) (*http.Response, error) {
	sent := time.Now()
	resp, err := c.next.RoundTrip(r)
	if err == nil {
		// Date has a resolution of a second: plenty for an hour's rule.
		if date, perr := http.ParseTime(resp.Header.Get("Date")); perr == nil {
			c.offset.Store(int64(date.Sub(sent)))
		}
	}
	return resp, err
}

// now is the server's time as last measured, or ours before any answer.
func (c *serverClock) now() time.Time {
	return time.Now().Add(time.Duration(c.offset.Load()))
}

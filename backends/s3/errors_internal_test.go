package s3

import (
	"errors"
	"fmt"
	"testing"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
	"github.com/minio/minio-go/v7"
)

// Server error codes map to the classes the program words its answers by
// (a name the server will never take is refused, not a passing fault).
func TestErrorClasses(t *testing.T) {
	for _, tc := range []struct {
		code   string
		status int
		want   error
	}{
		{"NoSuchKey", 404, backends.ErrNotFound},
		{"NoSuchVersion", 404, backends.ErrNotFound},
		{"NoSuchBucket", 404, backends.ErrUnreachable},
		{"PreconditionFailed", 412, backends.ErrConflict},
		{"AccessDenied", 403, backends.ErrRefused},
		{"XMinioInvalidObjectName", 400, backends.ErrRefused},
		{"XMinioInvalidResourceName", 400, backends.ErrRefused},
		{"KeyTooLongError", 400, backends.ErrRefused},
		{"SomethingNew", 403, backends.ErrRefused},
		{"SlowDown", 503, backends.ErrUnreachable},
		{"SomethingNew", 502, backends.ErrUnreachable},
		{"SomethingNew", statusCanceled, backends.ErrUnreachable},
		{"InternalError", 500, nil},
	} {
		err := fmt.Errorf("wrapped: %w", minio.ErrorResponse{Code: tc.code, StatusCode: tc.status})
		if got := classOf(err); !errors.Is(got, tc.want) {
			t.Errorf("%s (HTTP %d): class %v, want %v", tc.code, tc.status, got, tc.want)
		}
	}
}

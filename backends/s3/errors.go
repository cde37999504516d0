package s3

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
	"github.com/minio/minio-go/v7"
)

// statusCanceled is nginx's "client closed request", which MinIO answers
// when it drops a request as canceled (minio-go retries it).
const statusCanceled = 499

// classify turns a minio-go or transport error into a [*backends.Error]
// of the right class. Context cancellation passes through untouched.
func classify(op, name string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var be *backends.Error
	if errors.As(err, &be) {
		return err // classified already
	}
	var resp minio.ErrorResponse
	switch {
	case !errors.As(err, &resp):
	case resp.Code == "NoSuchBucket":
		err = fmt.Errorf("bucket %q is gone: %w", resp.BucketName, err)
	case resp.StatusCode == statusCanceled:
		// MinIO's answer, without a body, to a request whose context on
		// the server ended before it was handled; minio-go's message is
		// the bare status. Our context was live, or err would be it.
		err = fmt.Errorf("the server dropped the request as canceled (HTTP 499), though this client had not canceled it: %w", err)
	}
	return &backends.Error{Op: op, Name: name, Class: classOf(err), Err: err}
}

func classOf(err error) error {
	var resp minio.ErrorResponse
	if errors.As(err, &resp) {
		switch resp.Code {
		case "NoSuchKey", "NoSuchVersion":
			return backends.ErrNotFound
		case "NoSuchBucket":
			// Open found the bucket: now it is storage gone, like an
			// unmounted drive, not a sign that every name is absent.
			return backends.ErrUnreachable
		case "PreconditionFailed":
			return backends.ErrConflict
		case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch",
			"AllAccessDisabled", "AccountProblem", "InvalidToken", "ExpiredToken",
			"XMinioInvalidObjectName", "InvalidObjectName", "KeyTooLongError",
			"XMinioObjectNameTooLong", "XMinioObjectNamePrefixAsSlash",
			"InvalidBucketName", "XMinioInvalidObjectNameTooLong", "XMinioInvalidResourceName":
			return backends.ErrRefused
		case "XMinioServerNotInitialized", "SlowDown", "ServiceUnavailable":
			return backends.ErrUnreachable
		}
		switch resp.StatusCode {
		case 403:
			return backends.ErrRefused
		case statusCanceled, 502, 503, 504:
			return backends.ErrUnreachable
		}
		return nil
	}
	// A server whose certificate we cannot trust is a configuration
	// problem, not a network one.
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	if errors.As(err, &certErr) || errors.As(err, &unknownCA) || errors.As(err, &hostErr) {
		return backends.ErrRefused
	}
	var urlErr *url.Error
	var netErr net.Error
	var opErr *net.OpError
	var dnsErr *net.DNSError
	if errors.As(err, &urlErr) || errors.As(err, &netErr) || errors.As(err, &opErr) || errors.As(err, &dnsErr) {
		return backends.ErrUnreachable
	}
	return nil
}

// isAbsent reports whether err says the object, or the version asked for,
// does not exist (but not that the bucket does not).
func isAbsent(err error) bool {
	var resp minio.ErrorResponse
	return errors.As(err, &resp) && (resp.Code == "NoSuchKey" || resp.Code == "NoSuchVersion")
}

// isBadRequest reports a 400 answer, which is what a version ID the server
// cannot parse gets; such a version matches nothing.
func isBadRequest(err error) bool {
	var resp minio.ErrorResponse
	return errors.As(err, &resp) && resp.StatusCode == 400
}

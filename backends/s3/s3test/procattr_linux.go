package s3test

import "syscall"

// procAttr makes MinIO die with the test binary, should it exit without
// closing the server.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}

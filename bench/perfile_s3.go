package main

// The program's own cost per exported file on MinIO, over the protocol
// without git-annex (see perfile.go).

import (
	"bytes"
	"fmt"
	"os"

	"github.com/exporttree/git-annex-remote-exporttree/backends/s3"
	"github.com/minio/minio-go/v7"
)

func (b *bench) perFileS3Rows(r *repo) error {
	n, what := len(r.files), b.perFileWhat(r)
	add := func(x *row) *row { return b.addPerFile(r, x) }
	c := b.s3.client
	bareS3 := func() (sample, error) {
		bucket, err := b.bucket()
		if err != nil {
			return sample{}, err
		}
		return timed(func() error {
			for _, f := range r.files {
				data, err := os.ReadFile(f.path)
				if err != nil {
					return err
				}
				if _, err := c.PutObject(b.ctx, bucket, f.name, bytes.NewReader(data), int64(len(data)),
					minio.PutObjectOptions{ContentType: "application/octet-stream"}); err != nil {
					return err
				}
			}
			return nil
		})
	}
	oursS3 := func(guard bool) func() (sample, error) {
		return func() (sample, error) {
			bucket, err := b.bucket()
			if err != nil {
				return sample{}, err
			}
			s, err := b.protoExport(b.s3Config(bucket, "", guard), r)
			if err == nil {
				var got int
				if got, err = b.s3.countObjects(b.ctx, bucket, ""); err == nil && got != n {
					err = fmt.Errorf("%d objects stored, want %d", got, n)
				}
			}
			return s, err
		}
	}
	x := add(&row{name: what + ", MinIO", ours: "this program (guarded export, the default)",
		baseline: "the S3 backend in this process: Stat (HEAD), then Store (label, If-None-Match)", checkRSS: true})
	err := b.compare(x, b.sc.runs, oursS3(true), func() (sample, error) {
		bucket, err := b.bucket()
		if err != nil {
			return sample{}, err
		}
		be, err := s3.Open(b.ctx, s3.Config{Endpoint: "http://" + b.s3.host, Bucket: bucket, PathStyle: s3.PathStylePath,
			AccessKey: b.s3.srv.AccessKey, SecretKey: b.s3.srv.SecretKey})
		if err != nil {
			return sample{}, err
		}
		defer be.Close()
		return b.backendExport(be, r)
	})
	if err != nil {
		return err
	}
	for _, guard := range []bool{true, false} {
		x := add(&row{name: what + ", MinIO", ours: map[bool]string{true: "this program (guarded export, the default)", false: "this program, guardexport=no"}[guard],
			baseline: "minio-go PutObject of each file in this process", checkRSS: true})
		if err := b.compare(x, b.sc.runs, oursS3(guard), bareS3); err != nil {
			return err
		}
	}
	return nil
}

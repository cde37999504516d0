package main

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/exporttree/git-annex-remote-exporttree/backends/s3"
)

// s3Settings are the settings of backend=s3. They accept the parameter names
// of git-annex's built-in S3 special remote with the same meaning (host,
// port, protocol, datacenter, fileprefix, requeststyle, partsize,
// storageclass, publicurl), so switching a remote from type=S3 to this
// program changes two words.
type s3Settings struct {
	Bucket        string
	Endpoint      string // a URL; built from host, port and protocol when empty
	Host          string
	Port          string
	Protocol      string
	Region        string
	Prefix        string
	RequestStyle  s3.PathStyle
	PartSize      int64
	ParallelParts int
	StorageClass  string
	PublicURL     string
	CreateBucket  bool
}

func s3Set(f func(s *s3Settings, v string) error) func(c *config, v string) error {
	return func(c *config, v string) error { return f(&c.S3, v) }
}

var s3SettingsTable = []setting{
	{"bucket", "backend=s3: the bucket", s3Set(func(s *s3Settings, v string) error { s.Bucket = v; return nil })},
	{"endpoint", "backend=s3: the server's URL, like http://127.0.0.1:9000 (default: AWS)", s3Set(func(s *s3Settings, v string) error { s.Endpoint = v; return nil })},
	{"host", "backend=s3: the server's host name, as for git-annex's S3 remote (endpoint is simpler)", s3Set(func(s *s3Settings, v string) error { s.Host = v; return nil })},
	{"port", "backend=s3: the server's port, with host", s3Set(func(s *s3Settings, v string) error { s.Port = v; return nil })},
	{"protocol", "backend=s3: http or https, with host (default: https on port 443, else http)", s3Set(func(s *s3Settings, v string) error {
		switch strings.ToLower(v) {
		case "", "http", "https":
			s.Protocol = strings.ToLower(v)
			return nil
		}
		return fmt.Errorf("protocol=%s: want http or https", v)
	})},
	{"region", "backend=s3: the bucket's region", s3Set(func(s *s3Settings, v string) error {
		if v != "" {
			s.Region = v
		}
		return nil
	})},
	{"datacenter", "backend=s3: the same as region (git-annex's S3 remote's name)", s3Set(func(s *s3Settings, v string) error {
		if v != "" && s.Region == "" && v != "US" {
			s.Region = v
		}
		return nil
	})},
	{"prefix", "backend=s3: the exported tree lives under this key prefix (end it with / for a folder)", s3Set(func(s *s3Settings, v string) error {
		if v != "" {
			s.Prefix = v
		}
		return nil
	})},
	{"fileprefix", "backend=s3: the same as prefix (git-annex's S3 remote's name)", s3Set(func(s *s3Settings, v string) error {
		if v != "" && s.Prefix == "" {
			s.Prefix = v
		}
		return nil
	})},
	{"requeststyle", "backend=s3: path or virtual addressing of the bucket (default: chosen by the server's name)", s3Set(func(s *s3Settings, v string) (err error) {
		s.RequestStyle, err = s3.ParsePathStyle(v)
		return err
	})},
	{"partsize", "backend=s3: part size of multipart uploads, like 64MiB (default 16MiB)", s3Set(func(s *s3Settings, v string) (err error) {
		if v == "" {
			return nil
		}
		s.PartSize, err = parseSize("partsize", v)
		return err
	})},
	{"parallelparts", "backend=s3: how many parts of one file upload at once (default 4); memory is partsize times this", s3Set(func(s *s3Settings, v string) (err error) {
		if v == "" {
			return nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 64 {
			return fmt.Errorf("parallelparts=%s: want a number from 1 to 64", v)
		}
		s.ParallelParts = n
		return nil
	})},
	{"storageclass", "backend=s3: storage class of new objects, like STANDARD_IA", s3Set(func(s *s3Settings, v string) error { s.StorageClass = v; return nil })},
	{"publicurl", "backend=s3: URL where the bucket's objects can be downloaded without git-annex", s3Set(func(s *s3Settings, v string) error { s.PublicURL = v; return nil })},
	{"createbucket", "backend=s3: yes to create the bucket at initremote when it does not exist", s3Set(func(s *s3Settings, v string) (err error) {
		s.CreateBucket, err = parseYesNo("createbucket", v)
		return err
	})},
}

func (s s3Settings) check() error {
	if s.Bucket == "" {
		return fmt.Errorf("backend=s3 needs bucket=NAME")
	}
	if s.Endpoint != "" && s.Host != "" {
		return fmt.Errorf("give endpoint=URL or host=NAME, not both")
	}
	if s.Port != "" && s.Host == "" {
		return fmt.Errorf("port=%s needs host=NAME (or give endpoint=URL)", s.Port)
	}
	return nil
}

// endpoint is the server's URL: endpoint= as given, or built from host=,
// port= and protocol= the way git-annex's S3 remote reads them; "" is AWS.
func (s s3Settings) endpoint() string {
	if s.Endpoint != "" || s.Host == "" {
		return s.Endpoint
	}
	proto := s.Protocol
	if proto == "" {
		proto = "http"
		if s.Port == "443" {
			proto = "https"
		}
	}
	if s.Port == "" {
		return proto + "://" + s.Host
	}
	return proto + "://" + net.JoinHostPort(s.Host, s.Port)
}

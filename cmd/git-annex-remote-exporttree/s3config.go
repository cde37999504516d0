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

// s3Setting declares a setting of backend=s3 that decodes into s3Settings.
func s3Setting(name, description string, set func(s *s3Settings, v string) error) setting {
	return setting{name, description, func(c *config, v string) error { return set(&c.S3, v) }, "s3"}
}

var s3SettingsTable = []setting{
	s3Setting("bucket", "backend=s3: the bucket", func(s *s3Settings, v string) error { s.Bucket = v; return nil }),
	s3Setting("endpoint", "backend=s3: the server's URL, like http://127.0.0.1:9000 (default: AWS)", func(s *s3Settings, v string) error { s.Endpoint = v; return nil }),
	s3Setting("host", "backend=s3: the server's host name, as for git-annex's S3 remote (endpoint is simpler)", func(s *s3Settings, v string) error { s.Host = v; return nil }),
	s3Setting("port", "backend=s3: the server's port, with host", func(s *s3Settings, v string) error { s.Port = v; return nil }),
	s3Setting("protocol", "backend=s3: http or https, with host (default: https on port 443, else http)", func(s *s3Settings, v string) error {
		switch strings.ToLower(v) {
		case "", "http", "https":
			s.Protocol = strings.ToLower(v)
			return nil
		}
		return fmt.Errorf("protocol=%s: want http or https", v)
	}),
	s3Setting("region", "backend=s3: the bucket's region", func(s *s3Settings, v string) error {
		if v != "" {
			s.Region = v
		}
		return nil
	}),
	s3Setting("datacenter", "backend=s3: the same as region (git-annex's S3 remote's name)", func(s *s3Settings, v string) error {
		if v != "" && s.Region == "" && v != "US" {
			s.Region = v
		}
		return nil
	}),
	s3Setting("prefix", "backend=s3: the exported tree lives under this key prefix (end it with / for a folder)", func(s *s3Settings, v string) error {
		if v != "" {
			s.Prefix = v
		}
		return nil
	}),
	s3Setting("fileprefix", "backend=s3: the same as prefix (git-annex's S3 remote's name)", func(s *s3Settings, v string) error {
		if v != "" && s.Prefix == "" {
			s.Prefix = v
		}
		return nil
	}),
	s3Setting("requeststyle", "backend=s3: path or virtual addressing of the bucket (default: chosen by the server's name)", func(s *s3Settings, v string) (err error) {
		s.RequestStyle, err = s3.ParsePathStyle(v)
		return err
	}),
	s3Setting("partsize", "backend=s3: part size of multipart uploads, like 64MiB (default 8MiB)", func(s *s3Settings, v string) (err error) {
		if v == "" {
			return nil
		}
		s.PartSize, err = parseSize("partsize", v)
		return err
	}),
	s3Setting("parallelparts", "backend=s3: how many parts of one file upload at once (default 4); memory is partsize times this", func(s *s3Settings, v string) (err error) {
		if v == "" {
			return nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 64 {
			return fmt.Errorf("parallelparts=%s: want a number from 1 to 64", v)
		}
		s.ParallelParts = n
		return nil
	}),
	s3Setting("storageclass", "backend=s3: storage class of new objects, like STANDARD_IA", func(s *s3Settings, v string) error { s.StorageClass = v; return nil }),
	s3Setting("publicurl", "backend=s3: URL where the bucket's objects can be downloaded without git-annex", func(s *s3Settings, v string) error { s.PublicURL = v; return nil }),
	s3Setting("createbucket", "backend=s3: yes to create the bucket at initremote when it does not exist", func(s *s3Settings, v string) (err error) {
		s.CreateBucket, err = parseYesNo("createbucket", v)
		return err
	}),
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

package main

import "testing"

func TestS3Endpoint(t *testing.T) {
	for _, tc := range []struct {
		s    s3Settings
		want string
	}{
		{s3Settings{}, ""}, // AWS
		{s3Settings{Endpoint: "http://127.0.0.1:9000"}, "http://127.0.0.1:9000"},
		{s3Settings{Host: "s3.example.com"}, "http://s3.example.com"},
		{s3Settings{Host: "s3.example.com", Port: "443"}, "https://s3.example.com:443"},
		{s3Settings{Host: "s3.example.com", Port: "9000", Protocol: "https"}, "https://s3.example.com:9000"},
		{s3Settings{Host: "::1", Port: "9000"}, "http://[::1]:9000"},
	} {
		if got := tc.s.endpoint(); got != tc.want {
			t.Errorf("%+v: endpoint() = %q, want %q", tc.s, got, tc.want)
		}
	}
}

// Every setting git-annex's own S3 remote users know is accepted, and
// "versioning", which git-annex reserves, is not listed.
func TestSettingsListed(t *testing.T) {
	listed := map[string]bool{}
	for _, s := range listConfigs() {
		if listed[s.Name] {
			t.Errorf("setting %q listed twice", s.Name)
		}
		listed[s.Name] = true
	}
	for _, name := range []string{"backend", "directory", "ignoreinodes", "bucket", "endpoint", "region", "prefix",
		"host", "port", "protocol", "datacenter", "fileprefix", "requeststyle", "partsize", "storageclass", "publicurl"} {
		if !listed[name] {
			t.Errorf("setting %q is not listed: git-annex would refuse it at initremote", name)
		}
	}
	if listed["versioning"] {
		t.Error(`"versioning" is listed; git-annex reserves it`)
	}
}

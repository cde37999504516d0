package main

import (
	"context"
	"fmt"
	"os"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
	"github.com/exporttree/git-annex-remote-exporttree/backends/directory"
	"github.com/exporttree/git-annex-remote-exporttree/backends/s3"
	"github.com/exporttree/git-annex-remote-exporttree/protocol"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// credsSetting is the name under which git-annex keeps this remote's S3
// credentials (GETCREDS/SETCREDS): in .git/annex/creds, or in the git-annex
// branch with embedcreds=yes, as for git-annex's own S3 remote.
const credsSetting = "s3creds"

// openUse says what a process opens its storage for.
type openUse int

const (
	// useAny: any request; writes fail one by one where they are not
	// allowed, so read-only storage still serves get, fsck and import.
	useAny openUse = iota
	// useSetUp: initremote of a remote that writes. Checks write
	// permission, so that initremote fails instead of the first export,
	// and may create a missing bucket (createbucket=yes).
	useSetUp
	// useSetUpReading: initremote of an importtree remote, which only
	// reads.
	useSetUpReading
)

// openBackend opens the storage cfg names, checking that it is usable for
// use.
func openBackend(ctx context.Context, a *protocol.Annex, cfg config, use openUse) (backends.Backend, error) {
	switch cfg.Backend {
	case "directory":
		return directory.Open(cfg.Directory, directory.Options{IgnoreInodes: cfg.IgnoreInodes, SkipWriteCheck: use != useSetUp})
	case "s3":
		creds, err := s3Credentials(ctx, a)
		if err != nil {
			return nil, err
		}
		return s3.Open(ctx, s3.Config{
			Endpoint:       cfg.S3.endpoint(),
			Region:         cfg.S3.Region,
			Bucket:         cfg.S3.Bucket,
			Prefix:         cfg.S3.Prefix,
			PathStyle:      cfg.S3.RequestStyle,
			Creds:          creds,
			PartSize:       cfg.S3.PartSize,
			Parallelism:    cfg.S3.ParallelParts,
			StorageClass:   cfg.S3.StorageClass,
			CreateBucket:   use == useSetUp && cfg.S3.CreateBucket,
			SkipWriteCheck: use != useSetUp,
			Buffers:        memoryLimit.add,
		})
	}
	return nil, fmt.Errorf("backend=%s is not supported", cfg.Backend)
}

// s3Credentials finds credentials in this order: those git-annex stores for
// the remote, then AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN,
// then ~/.aws profiles (AWS_PROFILE). None at all means anonymous requests.
func s3Credentials(ctx context.Context, a *protocol.Annex) (*credentials.Credentials, error) {
	user, password, err := a.GetCreds(ctx, credsSetting)
	if err == nil && user != "" {
		return credentials.NewStaticV4(user, password, ""), nil
	}
	return credentials.NewChainCredentials([]credentials.Provider{
		&credentials.EnvAWS{},
		&credentials.FileAWSCredentials{},
	}), nil
}

// storeS3Credentials hands credentials from the environment to git-annex
// at initremote, as git-annex's S3 remote does, so later commands find them
// without the environment (and clones too, with embedcreds=yes).
func storeS3Credentials(ctx context.Context, a *protocol.Annex) error {
	id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if id == "" || secret == "" || os.Getenv("AWS_SESSION_TOKEN") != "" {
		// Session tokens expire: storing them would break later commands.
		return nil
	}
	return a.SetCreds(ctx, credsSetting, id, secret)
}

// describe says in a few words where content goes, for DEBUG lines. Never
// secrets.
func describe(cfg config) string {
	switch cfg.Backend {
	case "directory":
		return fmt.Sprintf("directory %s", cfg.Directory)
	case "s3":
		ep := cfg.S3.endpoint()
		if ep == "" {
			ep = "AWS"
		}
		return fmt.Sprintf("s3 bucket %s at %s, prefix %q", cfg.S3.Bucket, ep, cfg.S3.Prefix)
	}
	return cfg.Backend
}

// infoFields is what `git annex info NAME` shows. Never secrets. b is the
// open backend, or nil when it could not be opened (openErr says why).
func infoFields(cfg config, b backends.Backend, openErr error) []protocol.InfoField {
	fields := []protocol.InfoField{{Name: "backend", Value: cfg.Backend}}
	add := func(name, value string) { fields = append(fields, protocol.InfoField{Name: name, Value: value}) }
	switch cfg.Backend {
	case "directory":
		add("directory", cfg.Directory)
		if cfg.IgnoreInodes {
			add("ignoreinodes", "yes")
		}
	case "s3":
		ep := cfg.S3.endpoint()
		if ep == "" {
			ep = "AWS"
		}
		add("endpoint", ep)
		add("bucket", cfg.S3.Bucket)
		add("prefix", cfg.S3.Prefix)
		switch sb, ok := b.(*s3.Backend); {
		case ok && sb.Versioned():
			add("versioned", "yes (content identifiers are version IDs)")
		case ok:
			add("versioned", "no (content identifiers are ETags)")
		default:
			add("versioned", fmt.Sprintf("unknown (%v)", openErr))
		}
		if cfg.S3.PublicURL != "" {
			add("public url", cfg.S3.PublicURL)
		}
	}
	return fields
}

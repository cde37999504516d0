package main

import (
	"context"
	"fmt"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
	"github.com/exporttree/git-annex-remote-exporttree/backends/directory"
	"github.com/exporttree/git-annex-remote-exporttree/protocol"
)

// openBackend opens the storage cfg names, checking that it is usable.
func openBackend(ctx context.Context, cfg config) (backends.Backend, error) {
	switch cfg.Backend {
	case "directory":
		return directory.Open(cfg.Directory, directory.Options{IgnoreInodes: cfg.IgnoreInodes})
	}
	return nil, fmt.Errorf("backend=%s is not supported", cfg.Backend)
}

// describe says in a few words where content goes, for DEBUG lines.
func describe(cfg config) string {
	switch cfg.Backend {
	case "directory":
		return fmt.Sprintf("directory %s", cfg.Directory)
	}
	return cfg.Backend
}

// infoFields is what `git annex info NAME` shows. Never secrets.
func infoFields(cfg config) []protocol.InfoField {
	fields := []protocol.InfoField{{Name: "backend", Value: cfg.Backend}}
	switch cfg.Backend {
	case "directory":
		fields = append(fields, protocol.InfoField{Name: "directory", Value: cfg.Directory})
		if cfg.IgnoreInodes {
			fields = append(fields, protocol.InfoField{Name: "ignoreinodes", Value: "yes"})
		}
	}
	return fields
}

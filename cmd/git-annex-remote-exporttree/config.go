package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/exporttree/git-annex-remote-exporttree/protocol"
)

// config is the remote's configuration, as given to `git annex initremote`
// and stored by git-annex.
type config struct {
	Backend      string // "directory" or "s3"
	Directory    string
	IgnoreInodes bool
	// GuardExport refuses to overwrite, remove or rename away exported
	// files whose content this remote did not store.
	GuardExport bool
	S3          s3Settings
}

// setting declares one initremote parameter, once: the table feeds both
// LISTCONFIGS and the decoding into config.
type setting struct {
	name        string
	description string
	set         func(c *config, value string) error
	// backend is the backend the setting belongs to; "" for all. Only the
	// chosen backend's settings are asked for.
	backend string
}

// backendSetting picks the backend, and with it which other settings apply.
var backendSetting = setting{"backend", "where to store: directory (the default) or s3", func(c *config, v string) error {
	switch v {
	case "", "directory":
		c.Backend = "directory"
	case "s3":
		c.Backend = "s3"
	default:
		return fmt.Errorf("backend=%s: unknown backend (known: directory, s3)", v)
	}
	return nil
}, ""}

// settings lists every parameter the program accepts. git-annex rejects
// parameters not listed here at initremote. Never list "versioning": git-annex
// reserves it.
var settings = []setting{
	backendSetting,
	{"directory", "backend=directory: the directory to export to", func(c *config, v string) error {
		c.Directory = v
		return nil
	}, "directory"},
	{"ignoreinodes", "backend=directory: yes to leave inode numbers out of content identifiers (for network and FUSE mounts)", func(c *config, v string) (err error) {
		c.IgnoreInodes, err = parseYesNo("ignoreinodes", v)
		return err
	}, "directory"},
}

func init() {
	settings = append(settings, s3SettingsTable...)
	settings = append(settings, setting{"guardexport",
		"no to let export overwrite, remove and rename files that another program changed or wrote (default: yes, refuse)",
		func(c *config, v string) (err error) {
			c.GuardExport = true
			if v != "" {
				c.GuardExport, err = parseYesNo("guardexport", v)
			}
			return err
		}, ""})
}

func listConfigs() []protocol.ConfigSetting {
	out := make([]protocol.ConfigSetting, len(settings))
	for i, s := range settings {
		out[i] = protocol.ConfigSetting{Name: s.name, Description: s.description}
	}
	return out
}

// readConfig asks git-annex for the settings of the chosen backend (the
// "backend" setting comes first in the table) and decodes them.
func readConfig(ctx context.Context, a *protocol.Annex) (config, error) {
	var c config
	for _, s := range settings {
		if s.backend != "" && s.backend != c.Backend {
			continue
		}
		v, err := a.GetConfig(ctx, s.name)
		if err != nil {
			return c, fmt.Errorf("reading setting %s: %w", s.name, err)
		}
		if err := s.set(&c, v); err != nil {
			return c, err
		}
	}
	return c, c.check()
}

func (c config) check() error {
	switch c.Backend {
	case "directory":
		if c.Directory == "" {
			return fmt.Errorf("backend=directory needs directory=PATH (the directory to export to)")
		}
	case "s3":
		return c.S3.check()
	}
	return nil
}

func parseYesNo(name, v string) (bool, error) {
	switch strings.ToLower(v) {
	case "", "no", "false", "0":
		return false, nil
	case "yes", "true", "1":
		return true, nil
	}
	return false, fmt.Errorf("%s=%s: expected yes or no", name, v)
}

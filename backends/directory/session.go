package directory

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"sync"

	"github.com/exporttree/git-annex-remote-exporttree/backends"
	"golang.org/x/sys/unix"
)

// Sweeping the whole tree at every start costs a walk of every directory
// (a quarter of a second at 100,000 files, far more on a cold cache), and
// git-annex starts the program several times per command. Leftovers only
// exist where a writer died, so writers announce themselves: before its
// first temporary or aside file, a process creates a session file in the
// live directory, durably, and holds a flock on it until it closes the
// backend, when it removes the file (and the directory once empty). A
// session file nobody holds is a writer that died: Sweep walks the tree
// then, and otherwise reads only the live directory, usually absent.
const (
	// LiveDir is the live directory, below the root. It exists while a
	// writer runs, or after one died until the next Sweep.
	LiveDir       = ".git-annex-exporttree-live"
	sessionPrefix = ".git-annex-exporttree-session-"
)

// session is this process's session file, made on first need.
type session struct {
	mu   sync.Mutex
	file *os.File // nil until a writer needs it
	name string
	// labels says whether the filesystem keeps user extended attributes,
	// where labels are recorded: tried on the session file.
	labels bool
	// leftover is set when a cleanup failed: the file it could not remove
	// is for the next sweep, so the session file stays at close.
	leftover bool
}

// openLive opens the live directory, making it (durably) when missing.
func (b *Backend) openLive() (*dir, error) {
	err := b.root.Mkdir(LiveDir, 0o777)
	made := err == nil
	if err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, err
	}
	d, err := b.openDir(LiveDir)
	if err != nil {
		return nil, err
	}
	if made {
		root, err := b.openDir("")
		if err == nil {
			err = root.sync()
			root.close()
		}
		if err != nil {
			d.close()
			return nil, err
		}
	}
	return d, nil
}

// live makes sure this process's session file exists, durably, before the
// caller creates a file that only a sweep would remove after a crash.
func (b *Backend) live() error {
	s := &b.session
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.file != nil {
		return nil
	}
	for attempt := 1; ; attempt++ {
		f, name, err := b.createSession()
		// Another process's Close may remove the empty live directory
		// between our mkdir and our create: make it again.
		if errors.Is(err, fs.ErrNotExist) && attempt < createAttempts {
			continue
		}
		if err != nil {
			// Unclassified: a missing session directory says nothing of
			// the name the caller acts on (ErrNotFound would read as
			// "already gone" to a remove).
			return &backends.Error{Op: "start a session", Name: LiveDir, Err: err}
		}
		fd := int(f.Fd())
		s.file, s.name = f, name
		s.labels = setLabel(fd, "probe", "probe") == nil && readLabel(fd, "probe") == "probe"
		return nil
	}
}

func (b *Backend) createSession() (*os.File, string, error) {
	d, err := b.openLive()
	if err != nil {
		return nil, "", err
	}
	defer d.close()
	f, name, err := d.createTemp(sessionPrefix)
	if err != nil {
		return nil, "", err
	}
	if err := d.sync(); err != nil {
		f.Close()
		d.unlink(name)
		return nil, "", err
	}
	return f, name, nil
}

// leftBehind records that a file of this process was not cleaned up.
func (b *Backend) leftBehind() {
	b.session.mu.Lock()
	b.session.leftover = true
	b.session.mu.Unlock()
}

// endSession removes the session file, unless something was left behind
// for the next sweep, and drops its lock. Called by Close, once every
// operation has returned.
func (b *Backend) endSession() {
	s := &b.session
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.file == nil {
		return
	}
	if !s.leftover {
		if d, err := b.openDir(LiveDir); err == nil {
			d.unlink(s.name)
			d.close()
			b.removeEmptyDir(LiveDir) // fails while others live
		}
	}
	s.file.Close()
	s.file = nil
}

// deadSessions returns the session files of writers that died, locked;
// the caller closes them.
func (b *Backend) deadSessions() (dead []*os.File, names []string, err error) {
	d, err := b.openDir(LiveDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	defer d.close()
	entries, err := d.readDir(-1)
	if err != nil {
		return nil, nil, d.pathError("read", "", err)
	}
	for _, e := range entries {
		base := e.Name()
		if !strings.HasPrefix(base, sessionPrefix) {
			continue
		}
		f, err := d.lockFile(base)
		if errors.Is(err, unix.EWOULDBLOCK) || errors.Is(err, fs.ErrNotExist) || (err == nil && f == nil) {
			continue // alive, or gone meanwhile
		}
		if err != nil {
			return closeAll(dead), nil, err
		}
		dead, names = append(dead, f), append(names, base)
	}
	return dead, names, nil
}

func closeAll(files []*os.File) []*os.File {
	for _, f := range files {
		f.Close()
	}
	return nil
}

// endDeadSessions removes the session files a full sweep answered for.
func (b *Backend) endDeadSessions(names []string) error {
	d, err := b.openDir(LiveDir)
	if err != nil {
		return err
	}
	defer d.close()
	for _, name := range names {
		if err := d.unlink(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

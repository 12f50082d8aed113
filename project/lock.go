package project

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// LockFile is the lock inside a project folder.
const LockFile = ".delineate.lock"

// Lock is a held project lock.
type Lock struct{ path string }

// lockInfo is what the lock file says of its holder.
type lockInfo struct {
	PID   int       `json:"pid"`
	Host  string    `json:"host"`
	Since time.Time `json:"since"`
}

// LockedError says who holds a project.
type LockedError struct {
	PID   int
	Host  string
	Since time.Time
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("another Delineate (pid %d on %s, since %s) has it open; close it there to edit here",
		e.PID, e.Host, e.Since.Local().Format("2006-01-02 15:04"))
}

// acquireLock takes dir's lock: the lock file is created exclusively and
// holds this process's pid. A lock left by a process that no longer runs
// on this host (a crash) is taken over.
func acquireLock(dir string) (*Lock, error) {
	lk, _, err := acquireLockStale(dir)
	return lk, err
}

// acquireLockStale is acquireLock that also returns the holder of a stale
// lock it took over (nil when there was none): a session that crashed.
func acquireLockStale(dir string) (*Lock, *lockInfo, error) {
	var stale *lockInfo
	path := filepath.Join(dir, LockFile)
	host, _ := os.Hostname()
	for attempt := 0; attempt < 2; attempt++ {
		// The lock's content is written to a temporary file first and
		// hard-linked into place: the link is atomic and fails if the
		// lock exists, so a lock file is never seen half-written, even
		// when its writer is killed.
		b, _ := json.Marshal(lockInfo{PID: os.Getpid(), Host: host, Since: time.Now().UTC().Truncate(time.Second)})
		err := linkNew(dir, path, b)
		if err == nil {
			removeOldLockTemps(dir)
			return &Lock{path: path}, stale, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return nil, nil, err
		}
		b, rerr := os.ReadFile(path)
		var li lockInfo
		if rerr != nil || json.Unmarshal(b, &li) != nil || li.PID <= 0 {
			// A lock file being written this instant, or a torn one from
			// a crash: never break it blindly.
			info, _ := os.Stat(path)
			if info == nil || time.Since(info.ModTime()) < 10*time.Second {
				return nil, nil, &LockedError{Host: host, Since: time.Now()}
			}
		} else if li.Host != host || processAlive(li.PID) {
			return nil, nil, &LockedError{PID: li.PID, Host: li.Host, Since: li.Since}
		}
		// Stale: its holder is gone.
		st := li
		stale = &st
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, nil, err
		}
	}
	return nil, nil, fmt.Errorf("could not take the lock %s", path)
}

// Release removes the lock file.
func (l *Lock) Release() { os.Remove(l.path) }

// linkNew creates path holding b, failing with an ErrExist error if path
// exists.
func linkNew(dir, path string, b []byte) error {
	f, err := os.CreateTemp(dir, LockFile+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	_, werr := f.Write(b)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		return err
	}
	return os.Link(tmp, path)
}

// removeOldLockTemps deletes lock temporaries of processes killed between
// writing and linking them; recent ones may belong to a process taking
// the lock right now, so only those older than a minute go.
func removeOldLockTemps(dir string) {
	m, _ := filepath.Glob(filepath.Join(dir, LockFile+".tmp-*"))
	for _, f := range m {
		if st, err := os.Stat(f); err == nil && time.Since(st.ModTime()) > time.Minute {
			os.Remove(f)
		}
	}
}

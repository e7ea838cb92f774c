package logger

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"golang.org/x/sys/unix"
)

// Record is one log entry. Line keeps the trailing newline of a complete
// line; a piece of a long line has none.
type Record struct {
	Stream string
	Line   []byte
	Time   time.Time
}

// ReadOptions select the records Read returns.
type ReadOptions struct {
	Stdout, Stderr bool      // streams to return; both false means both
	Tail           int       // only the last Tail records of the file (counted over both streams, like Docker); < 0 means all
	Since, Until   time.Time // zero means unbounded
	Follow         bool      // keep reading as the log grows
	// Stopped is closed when the container has stopped: a follow returns
	// once it has read everything written so far.
	Stopped <-chan struct{}
}

// followPoll bounds the delay of a follow when inotify misses a change.
const followPoll = 250 * time.Millisecond

// Read calls fn for each selected record of the json-file log at path, in
// order, until the end of the file or, with Follow, until ctx is done, the
// container stopped (after draining) or Until has passed. Rotated files
// (<path>.N ... <path>.1) are read first, oldest first; Tail counts across
// them; a follow goes on into the new file when the current one is
// rotated. An error from fn stops the read and is returned. A missing file
// reads as empty.
func Read(ctx context.Context, path string, opts ReadOptions, fn func(Record) error) error {
	if !opts.Stdout && !opts.Stderr {
		opts.Stdout, opts.Stderr = true, true
	}
	cur, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) && !opts.Follow {
			return nil
		}
		return err
	}
	// The current file is opened first: a rotation from here on leaves it
	// among the rotated files, where it is recognised by inode and skipped.
	files := append(openRotated(path, inode(cur)), cur)
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()

	i := 0
	if opts.Tail >= 0 {
		var off int64
		i, off, err = tailStart(files, opts.Tail)
		if err != nil {
			return err
		}
		if _, err := files[i].Seek(off, io.SeekStart); err != nil {
			return err
		}
	}

	var w *watcher
	if opts.Follow {
		w = newWatcher(path)
		defer w.close()
	}

	r := bufio.NewReaderSize(files[i], 64<<10)
	var partial []byte
	var entry struct {
		Log    string    `json:"log"`
		Stream string    `json:"stream"`
		Time   time.Time `json:"time"`
	}
	stopped := false
	draining := false // the followed file was rotated: one more pass reads what was written to it before
	for {
		line, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			partial = append(partial, line...)
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		if errors.Is(err, io.EOF) {
			partial = append(partial, line...)
			if i < len(files)-1 { // a rotated file read to its end
				i++
				r.Reset(files[i])
				partial = partial[:0] // a torn record: skip it
				continue
			}
			if !opts.Follow {
				return nil
			}
			f := files[i]
			if draining {
				next, err := nextFile(path, inode(f))
				if err != nil {
					return err
				}
				if next != nil {
					draining = false
					files = append(files, next)
					i++
					r.Reset(next)
					partial = partial[:0]
					w.add(path)
					continue
				}
			}
			if rotated(path, f) {
				draining = true
				continue
			}
			if stopped {
				return nil
			}
			if truncated(f) { // truncated in place (copytruncate): start over
				if _, err := f.Seek(0, io.SeekStart); err != nil {
					return err
				}
				r.Reset(f)
				partial = partial[:0]
				continue
			}
			if opts.Stopped != nil {
				select {
				case <-opts.Stopped:
					stopped = true // one more pass drains what was written before the stop
					continue
				default:
				}
			}
			if err := w.wait(ctx, opts.Stopped); err != nil {
				return err
			}
			continue
		}
		if len(partial) > 0 {
			line = append(partial, line...)
		}
		entry.Log, entry.Stream, entry.Time = "", "", time.Time{}
		if err := json.Unmarshal(line, &entry); err != nil {
			partial = partial[:0]
			continue // a torn record (crash while writing): skip it like Docker does
		}
		partial = partial[:0]
		if !opts.Until.IsZero() && entry.Time.After(opts.Until) {
			return nil
		}
		if !opts.Since.IsZero() && entry.Time.Before(opts.Since) {
			continue
		}
		if (entry.Stream == "stdout" && !opts.Stdout) || (entry.Stream == "stderr" && !opts.Stderr) {
			continue
		}
		if err := fn(Record{Stream: entry.Stream, Line: []byte(entry.Log), Time: entry.Time}); err != nil {
			return err
		}
	}
}

// inode returns f's inode number, 0 if unknown.
func inode(f *os.File) uint64 {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return 0
	}
	return st.Ino
}

func pathInode(path string) (uint64, bool) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return 0, false
	}
	return st.Ino, true
}

// openRotated opens <path>.1, <path>.2, ... and returns them oldest
// first. Files newer than the one with inode cur (rotations since it was
// opened) are left out, and so is cur itself.
func openRotated(path string, cur uint64) []*os.File {
	var out []*os.File // newest first
	seen := map[uint64]bool{}
	for n, misses := 1, 0; misses < 2; n++ {
		f, err := os.Open(RotatedName(path, n))
		if err != nil {
			misses++ // a rotation in progress leaves one gap at a time
			continue
		}
		misses = 0
		ino := inode(f)
		if seen[ino] { // moved up by a rotation while we looked
			f.Close()
			continue
		}
		seen[ino] = true
		if ino == cur {
			f.Close()
			for _, g := range out {
				g.Close()
			}
			out = out[:0]
			continue
		}
		out = append(out, f)
	}
	slices.Reverse(out)
	return out
}

// rotated reports whether path no longer names f.
func rotated(path string, f *os.File) bool {
	ino, ok := pathInode(path)
	return ok && ino != inode(f)
}

// truncated reports whether f is shorter than the offset read so far.
func truncated(f *os.File) bool {
	off, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Size() < off
}

// nextFile opens the file that followed the one with inode ino: the
// rotated file just newer than it, or the current file. If ino is gone
// (rotated out before it was read to the end), it is the oldest file
// left. It returns nil, nil when path still names ino.
func nextFile(path string, ino uint64) (*os.File, error) {
	const attempts = 20
	for attempt := 1; attempt <= attempts; attempt++ {
		cur, ok := pathInode(path)
		if !ok || cur == ino {
			return nil, nil
		}
		// newest first: path, path.1, path.2, ...
		names, inos := []string{path}, []uint64{cur}
		for n, misses := 1, 0; misses < 2; n++ {
			x, ok := pathInode(RotatedName(path, n))
			if !ok {
				misses++ // a rotation in progress leaves one gap at a time
				continue
			}
			misses = 0
			names = append(names, RotatedName(path, n))
			inos = append(inos, x)
		}
		want := len(names) - 1 // the oldest, if ino is gone
		if k := slices.Index(inos, ino); k > 0 {
			want = k - 1
		} else if attempt < attempts {
			time.Sleep(time.Millisecond) // may have raced a rotation: look again
			continue
		}
		f, err := os.Open(names[want])
		if err != nil {
			continue // rotated meanwhile
		}
		if inode(f) == inos[want] {
			return f, nil
		}
		f.Close()
	}
	return nil, nil
}

// tailStart returns where the last n records of files (oldest first)
// start: the index of the file and the offset in it.
func tailStart(files []*os.File, n int) (int, int64, error) {
	last := len(files) - 1
	if n == 0 {
		st, err := files[last].Stat()
		if err != nil {
			return 0, 0, err
		}
		return last, st.Size(), nil
	}
	for i := last; i >= 0; i-- {
		off, found, err := tailOffset(files[i], n)
		if err != nil {
			return 0, 0, err
		}
		if found == n || i == 0 {
			return i, off, nil
		}
		n -= found
	}
	return 0, 0, nil
}

// tailOffset returns the offset of the first of the last n lines of f,
// and how many lines that is (fewer than n when f has fewer).
func tailOffset(f *os.File, n int) (int64, int, error) {
	st, err := f.Stat()
	if err != nil {
		return 0, 0, err
	}
	size := st.Size()
	if n == 0 {
		return size, 0, nil
	}
	const chunk = 32 << 10
	buf := make([]byte, chunk)
	end := size
	count := 0
	for end > 0 {
		start := max(0, end-chunk)
		b := buf[:end-start]
		if _, err := f.ReadAt(b, start); err != nil && !errors.Is(err, io.EOF) {
			return 0, 0, err
		}
		for i := len(b) - 1; i >= 0; i-- {
			// A newline starts a line unless it is the last byte.
			if b[i] != '\n' || start+int64(i) == size-1 {
				continue
			}
			count++
			if count == n {
				return start + int64(i) + 1, count, nil
			}
		}
		end = start
	}
	if size > 0 {
		count++ // the first line
	}
	return 0, count, nil
}

// watcher wakes a follow when the log changes (inotify), or every followPoll.
type watcher struct {
	f  *os.File // inotify instance, nil when unavailable
	fd int      // f's descriptor (f.Fd() would make it blocking)
}

const watchMask = unix.IN_MODIFY | unix.IN_CLOSE_WRITE | unix.IN_ATTRIB // IN_ATTRIB: a rotation links the file

func newWatcher(path string) *watcher {
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return &watcher{}
	}
	if _, err := unix.InotifyAddWatch(fd, path, watchMask); err != nil {
		unix.Close(fd)
		return &watcher{}
	}
	return &watcher{f: os.NewFile(uintptr(fd), "inotify"), fd: fd}
}

// add watches path again: after a rotation it names a new file.
func (w *watcher) add(path string) {
	if w.f != nil {
		_, _ = unix.InotifyAddWatch(w.fd, path, watchMask)
	}
}

func (w *watcher) close() {
	if w.f != nil {
		w.f.Close()
	}
}

// wait returns when the file may have grown, stop is closed, or ctx is done (with ctx's error).
func (w *watcher) wait(ctx context.Context, stop <-chan struct{}) error {
	done := make(chan struct{})
	if w.f != nil {
		go func() {
			defer close(done)
			var buf [4096]byte
			_ = w.f.SetReadDeadline(time.Now().Add(followPoll))
			_, _ = w.f.Read(buf[:])
		}()
	} else {
		t := time.AfterFunc(followPoll, func() { close(done) })
		defer t.Stop()
	}
	select {
	case <-done:
		return nil
	case <-stop:
		return nil
	case <-ctx.Done():
		if w.f != nil {
			_ = w.f.SetReadDeadline(time.Now())
			<-done
		}
		return ctx.Err()
	}
}

// String renders a record for debugging.
func (r Record) String() string {
	return fmt.Sprintf("%s %s %q", r.Time.Format(time.RFC3339Nano), r.Stream, bytes.TrimSuffix(r.Line, []byte("\n")))
}

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
// container stopped (after draining) or Until has passed. An error from fn
// stops the read and is returned. A missing file reads as empty.
func Read(ctx context.Context, path string, opts ReadOptions, fn func(Record) error) error {
	if !opts.Stdout && !opts.Stderr {
		opts.Stdout, opts.Stderr = true, true
	}
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) && !opts.Follow {
			return nil
		}
		return err
	}
	defer f.Close()

	if opts.Tail >= 0 {
		off, err := tailOffset(f, opts.Tail)
		if err != nil {
			return err
		}
		if _, err := f.Seek(off, io.SeekStart); err != nil {
			return err
		}
	}

	var w *watcher
	if opts.Follow {
		w = newWatcher(path)
		defer w.close()
	}

	r := bufio.NewReaderSize(f, 64<<10)
	var partial []byte
	var entry struct {
		Log    string    `json:"log"`
		Stream string    `json:"stream"`
		Time   time.Time `json:"time"`
	}
	stopped := false
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
			if !opts.Follow || stopped {
				return nil
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

// tailOffset returns the offset of the first of the last n lines of f.
func tailOffset(f *os.File, n int) (int64, error) {
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	size := st.Size()
	if n == 0 {
		return size, nil
	}
	const chunk = 32 << 10
	buf := make([]byte, chunk)
	end := size
	// A complete log ends with a newline that does not start a line.
	skipLast := true
	count := 0
	for end > 0 {
		start := max(0, end-chunk)
		b := buf[:end-start]
		if _, err := f.ReadAt(b, start); err != nil && !errors.Is(err, io.EOF) {
			return 0, err
		}
		for i := len(b) - 1; i >= 0; i-- {
			if b[i] != '\n' {
				skipLast = false
				continue
			}
			if skipLast && start+int64(i) == size-1 {
				skipLast = false
				continue
			}
			count++
			if count == n {
				return start + int64(i) + 1, nil
			}
		}
		end = start
	}
	return 0, nil
}

// watcher wakes a follow when the log changes (inotify), or every followPoll.
type watcher struct {
	f *os.File // inotify instance, nil when unavailable
}

func newWatcher(path string) *watcher {
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return &watcher{}
	}
	if _, err := unix.InotifyAddWatch(fd, path, unix.IN_MODIFY|unix.IN_CLOSE_WRITE); err != nil {
		unix.Close(fd)
		return &watcher{}
	}
	return &watcher{f: os.NewFile(uintptr(fd), "inotify")}
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

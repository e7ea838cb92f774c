package archive

import (
	"errors"
	"io"
	"sync"
	"time"
)

// How far Apply reads ahead of the decompressor, and decompresses ahead
// of the unpacking.
const (
	inputChunks        = 4
	inputChunkSize     = 256 << 10
	readAheadChunks    = 4
	readAheadChunkSize = 1 << 20
)

// readAhead reads its source in a goroutine of its own, up to a few
// chunks ahead of its reader, so that producing the data (decompressing)
// and consuming it (writing files) run at the same time. Close stops the
// goroutine and waits for it; the source is not read after Close.
type readAhead struct {
	full   chan []byte // filled chunks, closed after the last
	free   chan []byte // chunks to fill
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once
	err    error  // the source's final error (io.EOF at its end); set before full is closed
	cur    []byte // the unread rest of the chunk being read
	last   []byte // that chunk, to give back
	waited time.Duration
	closed bool
}

var errReadAheadClosed = errors.New("read ahead: closed")

func newReadAhead(r io.Reader, chunks, size int) *readAhead {
	ra := &readAhead{
		full: make(chan []byte, chunks),
		free: make(chan []byte, chunks),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	for range chunks {
		ra.free <- make([]byte, size)
	}
	go ra.fill(r)
	return ra
}

func (ra *readAhead) fill(r io.Reader) {
	defer close(ra.done)
	defer close(ra.full)
	for {
		var b []byte
		select {
		case b = <-ra.free:
		case <-ra.stop:
			ra.err = errReadAheadClosed
			return
		}
		n, err := io.ReadFull(r, b)
		if n > 0 {
			select {
			case ra.full <- b[:n]:
			case <-ra.stop:
				ra.err = errReadAheadClosed
				return
			}
		}
		if err != nil {
			if err == io.ErrUnexpectedEOF {
				err = io.EOF
			}
			ra.err = err
			return
		}
	}
}

// Read implements io.Reader.
func (ra *readAhead) Read(p []byte) (int, error) {
	if ra.closed {
		return 0, errReadAheadClosed
	}
	if len(p) == 0 {
		return 0, nil
	}
	for len(ra.cur) == 0 {
		if ra.last != nil {
			ra.free <- ra.last[:cap(ra.last)]
			ra.last = nil
		}
		var b []byte
		var ok bool
		select {
		case b, ok = <-ra.full:
		default:
			start := time.Now()
			b, ok = <-ra.full
			ra.waited += time.Since(start)
		}
		if !ok {
			return 0, ra.err
		}
		ra.cur, ra.last = b, b
	}
	n := copy(p, ra.cur)
	ra.cur = ra.cur[n:]
	return n, nil
}

// Close stops reading ahead and waits until the source is no longer read;
// later reads fail. Like Read, it is for the reading goroutine.
func (ra *readAhead) Close() error {
	ra.closed = true
	ra.once.Do(func() { close(ra.stop) })
	<-ra.done
	return nil
}

// timedReader adds up the time its reads take.
type timedReader struct {
	r    io.Reader
	took time.Duration
}

func (t *timedReader) Read(p []byte) (int, error) {
	start := time.Now()
	n, err := t.r.Read(p)
	t.took += time.Since(start)
	return n, err
}

package archive

import (
	"bytes"
	"errors"
	"io"
	"sync/atomic"
	"testing"
	"testing/iotest"
)

// TestReadAheadPassesTheStreamThroughWhole reads streams of many sizes
// around the chunk size through small and large reads.
func TestReadAheadPassesTheStreamThroughWhole(t *testing.T) {
	const chunk = 64
	for _, size := range []int{0, 1, chunk - 1, chunk, chunk + 1, 3 * chunk, 10*chunk + 7} {
		src := bytes.Repeat([]byte("0123456789abcdef"), size/16+1)[:size]
		for _, name := range []string{"whole", "one byte at a time"} {
			ra := newReadAhead(iotest.HalfReader(bytes.NewReader(src)), 2, chunk)
			var r io.Reader = ra
			if name == "one byte at a time" {
				r = iotest.OneByteReader(ra)
			}
			got, err := io.ReadAll(r)
			ra.Close()
			if err != nil || !bytes.Equal(got, src) {
				t.Errorf("size %d, %s: read %d bytes, %v; want the %d bytes of the source", size, name, len(got), err, size)
			}
		}
	}
}

// TestReadAheadReturnsTheSourcesError hands on the source's error after
// the data read before it.
func TestReadAheadReturnsTheSourcesError(t *testing.T) {
	boom := errors.New("boom")
	ra := newReadAhead(io.MultiReader(bytes.NewReader([]byte("abc")), iotest.ErrReader(boom)), 2, 2)
	defer ra.Close()
	got, err := io.ReadAll(ra)
	if string(got) != "abc" || !errors.Is(err, boom) {
		t.Fatalf("ReadAll() = %q, %v; want abc, boom", got, err)
	}
}

// blockingReader serves one chunk, then blocks in Read until released.
type blockingReader struct {
	served   bool
	entered  chan struct{}
	release  chan struct{}
	returned atomic.Bool
}

func (b *blockingReader) Read(p []byte) (int, error) {
	if !b.served {
		b.served = true
		return copy(p, "xy"), nil
	}
	close(b.entered)
	<-b.release
	b.returned.Store(true)
	return 0, io.EOF
}

// TestReadAheadCloseStopsReadingTheSource ends the goroutine of a reader
// that was abandoned half way: Close returns only once the source is no
// longer read, and reads after it fail.
func TestReadAheadCloseStopsReadingTheSource(t *testing.T) {
	src := &blockingReader{entered: make(chan struct{}), release: make(chan struct{})}
	ra := newReadAhead(src, 2, 2)
	buf := make([]byte, 1)
	if _, err := ra.Read(buf); err != nil {
		t.Fatalf("Read() = %v", err)
	}
	<-src.entered
	closed := make(chan bool)
	go func() { ra.Close(); closed <- src.returned.Load() }()
	close(src.release)
	if !<-closed {
		t.Fatal("Close returned while the source was still being read")
	}
	if _, err := io.ReadAll(ra); err == nil {
		t.Fatal("reading after Close succeeded")
	}
}

package server

import (
	"encoding/binary"
	"encoding/json"
	"io"
	"net/http"
	"sync"

	"github.com/moby/moby/api/pkg/stdcopy"
)

// WriteFlusher writes to an http.ResponseWriter, optionally flushing after
// every write, and remembers whether anything was written (after which
// errors can only be reported in the stream). It is safe for concurrent use.
type WriteFlusher struct {
	mu      sync.Mutex
	w       http.ResponseWriter
	rc      *http.ResponseController
	flush   bool
	written bool
}

// NewWriteFlusher wraps w; with flush set, every Write is flushed to the client.
func NewWriteFlusher(w http.ResponseWriter, flush bool) *WriteFlusher {
	return &WriteFlusher{w: w, rc: http.NewResponseController(w), flush: flush}
}

// Write writes p and flushes when asked to.
func (f *WriteFlusher) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.written = true
	n, err := f.w.Write(p)
	if err == nil && f.flush {
		err = f.rc.Flush()
	}
	return n, err
}

// Flush sends the status line, headers and anything buffered now.
func (f *WriteFlusher) Flush() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.written = true
	return f.rc.Flush()
}

// Written reports whether the response has started.
func (f *WriteFlusher) Written() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.written
}

// stdWriter frames each write with Docker's 8-byte stream header.
type stdWriter struct {
	w   io.Writer
	typ stdcopy.StdType
}

// NewStdWriter returns a writer that frames every write to w as one message
// of stream typ ([stream, 0, 0, 0, size as big-endian uint32] + payload), the
// multiplexed format stdcopy.StdCopy reads. Each frame is one Write to w, so
// writers of different streams may share w if w's Write is atomic.
func NewStdWriter(w io.Writer, typ stdcopy.StdType) io.Writer {
	return &stdWriter{w: w, typ: typ}
}

const maxFrame = 1<<32 - 1

func (s *stdWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		chunk := p
		if len(chunk) > maxFrame {
			chunk = chunk[:maxFrame]
		}
		buf := make([]byte, 8+len(chunk))
		buf[0] = byte(s.typ)
		binary.BigEndian.PutUint32(buf[4:], uint32(len(chunk)))
		copy(buf[8:], chunk)
		n, err := s.w.Write(buf)
		if n > 8 {
			written += n - 8
		}
		if err != nil {
			return written, err
		}
		if n < len(buf) {
			return written, io.ErrShortWrite
		}
		p = p[len(chunk):]
	}
	return written, nil
}

// streamError is an error reported inside a JSON progress stream, the way
// Docker does once the response has started.
type streamError struct {
	ErrorDetail struct {
		Message string `json:"message"`
	} `json:"errorDetail"`
	Error string `json:"error"`
}

// WriteStreamError writes err to a JSON message stream as
// {"errorDetail":{"message":...},"error":...}.
func WriteStreamError(w io.Writer, err error) error {
	var m streamError
	m.ErrorDetail.Message = err.Error()
	m.Error = err.Error()
	return json.NewEncoder(w).Encode(m)
}

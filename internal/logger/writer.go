package logger

import (
	"bytes"
	"os"
	"sync"
	"time"
	"unicode/utf8"
)

// MaxLineSize is the longest line kept whole; longer lines are written as
// several records, each but the last without a trailing newline (Docker's
// 16 KiB partial messages).
const MaxLineSize = 16 * 1024

// File is a json-file log opened for appending. Its methods are safe for
// concurrent use; every call is one write(2) of whole records.
type File struct {
	mu  sync.Mutex
	f   *os.File
	buf []byte
}

// Open opens (creating if needed) the log at path for appending.
func Open(path string) (*File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return nil, err
	}
	return &File{f: f}, nil
}

// Close closes the file.
func (f *File) Close() error {
	return f.f.Close()
}

// WriteRecord appends one record. line is logged as is (callers include
// the trailing newline of complete lines).
func (f *File) WriteRecord(stream string, line []byte, t time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.buf = AppendRecord(f.buf[:0], stream, line, t)
	_, err := f.f.Write(f.buf)
	return err
}

func (f *File) writeRecords(b []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, err := f.f.Write(b)
	return err
}

// AppendRecord appends the JSON line for one record to dst, byte for byte
// what Docker's json-file driver writes.
func AppendRecord(dst []byte, stream string, line []byte, t time.Time) []byte {
	dst = append(dst, `{"log":`...)
	dst = appendString(dst, line)
	dst = append(dst, `,"stream":`...)
	dst = appendString(dst, []byte(stream))
	dst = append(dst, `,"time":"`...)
	dst = t.UTC().AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, "\"}\n"...)
	return dst
}

const hex = "0123456789abcdef"

// appendString quotes s like encoding/json does (HTML-safe, invalid UTF-8
// replaced by U+FFFD), which is how Docker's logs look.
func appendString(dst, s []byte) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// LineWriter splits what is written to it into lines and logs each as one
// record of its stream. A line longer than MaxLineSize is logged in pieces
// without newlines, as is an unterminated last line on Close. It is not
// safe for concurrent use (one per stream); several may share a File.
type LineWriter struct {
	f      *File
	stream string
	now    func() time.Time
	pend   []byte // incomplete line
	out    []byte // records of one Write
}

// NewLineWriter returns a LineWriter logging to f as stream ("stdout", "stderr").
func NewLineWriter(f *File, stream string) *LineWriter {
	return &LineWriter{f: f, stream: stream, now: time.Now}
}

// Write logs the complete lines in p and keeps the rest for later. It
// fails only when the file cannot be written.
func (w *LineWriter) Write(p []byte) (int, error) {
	t := w.now()
	w.out = w.out[:0]
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			w.pend = append(w.pend, p...)
			break
		}
		line := p[:i+1]
		p = p[i+1:]
		if len(w.pend) > 0 {
			w.pend = append(w.pend, line...)
			line = w.pend
		}
		for len(line) > MaxLineSize {
			w.out = AppendRecord(w.out, w.stream, line[:MaxLineSize], t)
			line = line[MaxLineSize:]
		}
		w.out = AppendRecord(w.out, w.stream, line, t)
		w.pend = w.pend[:0]
	}
	for len(w.pend) >= MaxLineSize {
		w.out = AppendRecord(w.out, w.stream, w.pend[:MaxLineSize], t)
		w.pend = append(w.pend[:0], w.pend[MaxLineSize:]...)
	}
	if len(w.out) == 0 {
		return n, nil
	}
	if err := w.f.writeRecords(w.out); err != nil {
		return 0, err
	}
	if cap(w.out) > 64<<10 { // do not keep a big buffer around in the shim
		w.out = nil
	}
	return n, nil
}

// Close logs an unterminated last line, if any.
func (w *LineWriter) Close() error {
	if len(w.pend) == 0 {
		return nil
	}
	err := w.f.WriteRecord(w.stream, w.pend, w.now())
	w.pend = nil
	return err
}

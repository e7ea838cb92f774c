package logger

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"strconv"
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
//
// With a Rotation, a write that would take the file past MaxSize first
// rotates it the way Docker does: <log>.1 becomes <log>.2 and so on, the
// oldest beyond MaxFiles-1 is dropped, the current file becomes <log>.1 and
// a fresh <log> takes its place. Records never straddle two files.
type File struct {
	mu     sync.Mutex
	path   string
	rot    Rotation
	format Format
	f      *os.File
	size   int64
	buf    []byte
}

// Format is how a File writes its records.
type Format string

const (
	// FormatJSONFile is Docker's json-file format, one JSON object a line.
	FormatJSONFile Format = ""
	// FormatCRI is the Kubernetes CRI's log format, one record a line:
	// "<RFC 3339 time> <stream> <F|P> <text>", F ending a line and P a
	// partial one (kubelets read it, `crictl logs` and `kubectl logs`).
	FormatCRI Format = "cri"
)

// OpenCRI opens (creating if needed) the log at path for appending in the
// CRI's format, without rotation (a kubelet rotates it).
func OpenCRI(path string) (*File, error) {
	f, err := OpenRotating(path, Rotation{})
	if err != nil {
		return nil, err
	}
	f.format = FormatCRI
	return f, nil
}

// appendRecord appends one record in f's format.
func (f *File) appendRecord(dst []byte, stream string, line []byte, t time.Time) []byte {
	if f.format == FormatCRI {
		return AppendCRIRecord(dst, stream, line, t)
	}
	return AppendRecord(dst, stream, line, t)
}

// AppendCRIRecord appends one record in the CRI's log format: a line that
// ends with a newline is full (F, written without it), any other partial (P).
func AppendCRIRecord(dst []byte, stream string, line []byte, t time.Time) []byte {
	dst = t.UTC().AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, ' ')
	dst = append(dst, stream...)
	if n := len(line); n > 0 && line[n-1] == '\n' {
		dst = append(dst, " F "...)
		line = line[:n-1]
	} else {
		dst = append(dst, " P "...)
	}
	dst = append(dst, line...)
	return append(dst, '\n')
}

// Open opens (creating if needed) the log at path for appending, without rotation.
func Open(path string) (*File, error) {
	return OpenRotating(path, Rotation{})
}

// OpenRotating opens (creating if needed) the log at path for appending,
// rotating it as rot says.
func OpenRotating(path string, rot Rotation) (*File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	rot.MaxFiles = max(rot.MaxFiles, 1)
	return &File{path: path, rot: rot, f: f, size: st.Size()}, nil
}

// Close closes the file.
func (f *File) Close() error {
	return f.f.Close()
}

// Reopen closes the file and opens its path again (creating it): after
// someone else renamed the log away to rotate it, records go to a new file
// at the path (the CRI's ReopenContainerLog).
func (f *File) Reopen() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	nf, err := os.OpenFile(f.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return err
	}
	st, err := nf.Stat()
	if err != nil {
		nf.Close()
		return err
	}
	f.f.Close()
	f.f, f.size = nf, st.Size()
	return nil
}

// WriteRecord appends one record. line is logged as is (callers include
// the trailing newline of complete lines).
func (f *File) WriteRecord(stream string, line []byte, t time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.buf = f.appendRecord(f.buf[:0], stream, line, t)
	return f.write(f.buf)
}

func (f *File) writeRecords(b []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.write(b)
}

// write appends whole records (each ends with a newline), rotating
// between records as needed. A record longer than MaxSize gets a file of
// its own. Called with mu held.
func (f *File) write(b []byte) error {
	if f.rot.MaxSize <= 0 {
		return f.append(b)
	}
	for len(b) > 0 {
		n := 0 // bytes of whole records that fit
		for n < len(b) {
			end := len(b)
			if i := bytes.IndexByte(b[n:], '\n'); i >= 0 {
				end = n + i + 1
			}
			if f.size+int64(end) > f.rot.MaxSize && (n > 0 || f.size > 0) {
				break
			}
			n = end
		}
		if n > 0 {
			if err := f.append(b[:n]); err != nil {
				return err
			}
			b = b[n:]
		}
		if len(b) == 0 {
			break
		}
		if err := f.rotate(); err != nil {
			// Keep the log rather than lose lines: write on into the current file.
			slog.Error("rotate log", "path", f.path, "err", err)
			return f.append(b)
		}
	}
	return nil
}

func (f *File) append(b []byte) error {
	n, err := f.f.Write(b)
	f.size += int64(n)
	return err
}

// rotate shifts the rotated files up by one and starts a new current file.
// The path always names a complete file: the new one is created aside and
// renamed over it, after the old one got its second name <log>.1 (a hard
// link), so a reader following the old file finds it there.
func (f *File) rotate() error {
	tmp := f.path + ".new"
	nf, err := os.OpenFile(tmp, os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return err
	}
	if f.rot.MaxFiles > 1 {
		for i := f.rot.MaxFiles - 1; i > 1; i-- {
			if err := os.Rename(RotatedName(f.path, i-1), RotatedName(f.path, i)); err != nil && !errors.Is(err, os.ErrNotExist) {
				nf.Close()
				return err
			}
		}
		if err := os.Remove(RotatedName(f.path, 1)); err != nil && !errors.Is(err, os.ErrNotExist) {
			nf.Close()
			return err
		}
		if err := os.Link(f.path, RotatedName(f.path, 1)); err != nil {
			nf.Close()
			return err
		}
	}
	if err := os.Rename(tmp, f.path); err != nil {
		nf.Close()
		return err
	}
	f.f.Close()
	f.f, f.size = nf, 0
	return nil
}

// RotatedName is the name of the i-th rotated file of the log at path (i >= 1).
func RotatedName(path string, i int) string {
	return path + "." + strconv.Itoa(i)
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
			w.out = w.f.appendRecord(w.out, w.stream, line[:MaxLineSize], t)
			line = line[MaxLineSize:]
		}
		w.out = w.f.appendRecord(w.out, w.stream, line, t)
		w.pend = w.pend[:0]
	}
	for len(w.pend) >= MaxLineSize {
		w.out = w.f.appendRecord(w.out, w.stream, w.pend[:MaxLineSize], t)
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

package command

import (
	"errors"
	"io"
	"os"

	"github.com/moby/term"
)

type stream struct {
	fd         uintptr
	isTerminal bool
	state      *term.State
}

func (s *stream) setup(v any) {
	s.fd, s.isTerminal = term.GetFdInfo(v)
}

// FD is the stream's file descriptor.
func (s *stream) FD() uintptr { return s.fd }

// IsTerminal reports whether the stream is a terminal.
func (s *stream) IsTerminal() bool { return s.isTerminal }

// RestoreTerminal puts the terminal back into the mode it had before
// SetRawTerminal; it is a no-op otherwise.
func (s *stream) RestoreTerminal() {
	if s.state != nil {
		_ = term.RestoreTerminal(s.fd, s.state)
		s.state = nil
	}
}

// InStream is the CLI's standard input.
type InStream struct {
	stream
	in io.ReadCloser
}

// NewInStream wraps r.
func NewInStream(r io.ReadCloser) *InStream {
	s := &InStream{in: r}
	s.setup(r)
	return s
}

func (i *InStream) Read(p []byte) (int, error) { return i.in.Read(p) }

// Close closes the underlying reader.
func (i *InStream) Close() error { return i.in.Close() }

// SetRawTerminal puts the input terminal in raw mode (unless
// NORAW is set, like docker).
func (i *InStream) SetRawTerminal() error {
	if !i.isTerminal || os.Getenv("NORAW") != "" {
		return nil
	}
	st, err := term.SetRawTerminal(i.fd)
	if err != nil {
		return err
	}
	i.state = st
	return nil
}

// CheckTty refuses to attach a TTY to a non-terminal stdin, like docker.
func (i *InStream) CheckTty(attachStdin, ttyMode bool) error {
	if ttyMode && attachStdin && !i.isTerminal {
		return errors.New("the input device is not a TTY")
	}
	return nil
}

// OutStream is the CLI's standard output.
type OutStream struct {
	stream
	out io.Writer
}

// NewOutStream wraps w.
func NewOutStream(w io.Writer) *OutStream {
	s := &OutStream{out: w}
	s.setup(w)
	return s
}

func (o *OutStream) Write(p []byte) (int, error) { return o.out.Write(p) }

// SetRawTerminal puts the output terminal in raw output mode.
func (o *OutStream) SetRawTerminal() error {
	if !o.isTerminal || os.Getenv("NORAW") != "" {
		return nil
	}
	st, err := term.SetRawTerminalOutput(o.fd)
	if err != nil {
		return err
	}
	o.state = st
	return nil
}

// TtySize is the terminal's height and width, zero when not a terminal.
func (o *OutStream) TtySize() (height, width uint) {
	if !o.isTerminal {
		return 0, 0
	}
	ws, err := term.GetWinsize(o.fd)
	if err != nil || ws == nil {
		return 0, 0
	}
	return uint(ws.Height), uint(ws.Width)
}

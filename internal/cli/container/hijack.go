package container

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"
	"github.com/moby/term"
	"github.com/tug-project/tug/internal/cli/command"
)

// defaultEscapeKeys is ctrl-p, ctrl-q.
var defaultEscapeKeys = []byte{16, 17}

// streamer copies the CLI's streams to and from a hijacked attach
// connection, putting the terminal in raw mode for TTY containers and
// always restoring it.
type streamer struct {
	cli        *command.Cli
	in         io.Reader
	out        io.Writer
	errw       io.Writer
	resp       client.HijackedResponse
	tty        bool
	detachKeys string
}

func (s *streamer) stream(ctx context.Context) error {
	restore, err := s.setupInput()
	if err != nil {
		return fmt.Errorf("unable to setup input stream: %s", err)
	}
	defer restore()

	var outputDone chan error
	if s.out != nil || s.errw != nil {
		outputDone = make(chan error, 1)
		go func() {
			var err error
			if s.out != nil && s.tty {
				_, err = io.Copy(s.out, s.resp.Reader)
				restore()
			} else {
				out, errw := s.out, s.errw
				if out == nil {
					out = io.Discard
				}
				if errw == nil {
					errw = io.Discard
				}
				_, err = stdcopy.StdCopy(out, errw, s.resp.Reader)
			}
			outputDone <- err
		}()
	}

	inputDone := make(chan struct{})
	detached := make(chan error, 1)
	go func() {
		if s.in != nil {
			_, err := io.Copy(s.resp.Conn, s.in)
			restore()
			var esc term.EscapeError
			if errors.As(err, &esc) {
				detached <- err
				return
			}
		}
		_ = s.resp.CloseWrite()
		close(inputDone)
	}()

	select {
	case err := <-outputDone:
		return err
	case <-inputDone:
		if outputDone != nil {
			select {
			case err := <-outputDone:
				return err
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	case err := <-detached:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *streamer) setupInput() (func(), error) {
	if s.in == nil || !s.tty {
		return func() {}, nil
	}
	if err := s.cli.In().SetRawTerminal(); err != nil {
		return nil, fmt.Errorf("unable to set IO streams as raw terminal: %s", err)
	}
	if err := s.cli.Out().SetRawTerminal(); err != nil {
		s.cli.In().RestoreTerminal()
		return nil, fmt.Errorf("unable to set IO streams as raw terminal: %s", err)
	}
	restore := sync.OnceFunc(func() {
		s.cli.In().RestoreTerminal()
		s.cli.Out().RestoreTerminal()
	})
	keys := defaultEscapeKeys
	if s.detachKeys != "" {
		if k, err := term.ToBytes(s.detachKeys); err == nil {
			keys = k
		}
	}
	s.in = term.NewEscapeProxy(s.in, keys)
	return restore, nil
}

// isEscape reports whether err is the detach sequence.
func isEscape(err error) bool {
	var esc term.EscapeError
	return errors.As(err, &esc)
}

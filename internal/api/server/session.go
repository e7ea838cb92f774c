package server

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync/atomic"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types"
)

// StreamSession hands a backend the streams of a hijacked connection, for
// attach and exec start. Once hijacked, the stream lives until the client
// hangs up or the backend is done: net/http may cancel the request context
// of a hijacked connection (seen when the client half-closes right away,
// as `echo x | docker run -i` does), which must not cut the output.
type StreamSession struct {
	ctx      context.Context
	cancel   context.CancelFunc
	stop     func() bool
	hijacked atomic.Bool
	w        http.ResponseWriter
	r        *http.Request
	conn     *Conn
}

// NewStreamSession starts a session for the request; the returned context
// is the one to give the backend.
func NewStreamSession(ctx context.Context, w http.ResponseWriter, r *http.Request) (*StreamSession, context.Context) {
	s := &StreamSession{w: w, r: r}
	s.ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	s.stop = context.AfterFunc(ctx, func() {
		if !s.hijacked.Load() {
			s.cancel()
		}
	})
	return s, s.ctx
}

// GetStreams hijacks the connection and returns its streams: stdin reads
// what the client sends (closing it stops reading but keeps the output
// open), stdout and stderr are framed with Docker's 8-byte header when
// multiplex is set.
func (s *StreamSession) GetStreams(multiplex bool) (io.ReadCloser, io.Writer, io.Writer, error) {
	if s.conn != nil {
		return nil, nil, nil, errors.New("streams already taken")
	}
	contentType := types.MediaTypeRawStream
	if multiplex && s.r.Header.Get("Upgrade") != "" && !VersionBefore(s.ctx, "1.42") {
		contentType = types.MediaTypeMultiplexedStream
	}
	s.hijacked.Store(true)
	c, err := Hijack(s.ctx, s.w, s.r, contentType)
	if err != nil {
		return nil, nil, nil, err
	}
	s.conn = c
	go func() {
		select {
		case <-c.HungUp():
			s.cancel()
		case <-s.ctx.Done():
		}
	}()
	var stdout, stderr io.Writer = c, c
	if multiplex {
		stdout = NewStdWriter(c, stdcopy.Stdout)
		stderr = NewStdWriter(c, stdcopy.Stderr)
	}
	return stdinReader{c}, stdout, stderr, nil
}

// Hijacked reports whether GetStreams took the connection.
func (s *StreamSession) Hijacked() bool { return s.conn != nil }

// Close ends the session after the backend returned err. Before the hijack
// err is the handler's normal error response; after it, it can only be
// logged, and the connection is closed.
func (s *StreamSession) Close(err error, what string) error {
	defer s.cancel()
	defer s.stop()
	if s.conn == nil {
		return err
	}
	if err != nil {
		Logger(s.ctx).DebugContext(s.ctx, what+" ended", "err", err)
	}
	return s.conn.Close()
}

// stdinReader is the stdin handed to a backend.
type stdinReader struct{ c *Conn }

func (s stdinReader) Read(p []byte) (int, error) { return s.c.Read(p) }
func (s stdinReader) Close() error               { return s.c.CloseRead() }

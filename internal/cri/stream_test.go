package cri

import (
	"bytes"
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"k8s.io/cri-streaming/pkg/streaming/remotecommand"
)

// pipeStream is the client's side of a port-forward: what it sends, and
// what comes back.
type pipeStream struct {
	io.Reader
	got bytes.Buffer
}

func (p *pipeStream) Write(b []byte) (int, error) { return p.got.Write(b) }
func (p *pipeStream) Close() error                { return nil }

// forward passes the client's end of input on as a half-close, so a
// server that answers once its input ends (as a request/response peer
// does) still gets its answer back through.
func TestForwardPassesTheClientsEndAsHalfClose(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		b, _ := io.ReadAll(c) // until the half-close
		_, _ = c.Write([]byte(strings.ToUpper(string(b))))
	}()
	conn, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s := &pipeStream{Reader: strings.NewReader("hello pod")}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := forward(ctx, conn, s); err != nil {
		t.Fatal(err)
	}
	if s.got.String() != "HELLO POD" {
		t.Errorf("client got %q, want HELLO POD", s.got.String())
	}
}

// A session's sizes are passed on as {height, width}; firstSize takes the
// first, and none when the session ends first.
func TestSessionSizes(t *testing.T) {
	ctx := context.Background()
	if sizes(ctx, nil) != nil {
		t.Error("sizes of a session without a terminal is not nil")
	}
	in := make(chan remotecommand.TerminalSize, 2)
	in <- remotecommand.TerminalSize{Width: 100, Height: 30}
	in <- remotecommand.TerminalSize{Width: 120, Height: 40}
	close(in)
	out := sizes(ctx, in)
	if got := firstSize(ctx, out); got == nil || *got != [2]uint{30, 100} {
		t.Errorf("first size = %v, want {30 100}", got)
	}
	if got := <-out; got != [2]uint{40, 120} {
		t.Errorf("next size = %v, want {40 120}", got)
	}
	if got := firstSize(ctx, out); got != nil {
		t.Errorf("first size of an ended session = %v, want none", got)
	}
}

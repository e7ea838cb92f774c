package monitor

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/tug-project/tug/internal/errdefs"
)

// The shim protocol, on the shim's unix socket: each connection carries one
// request, a JSON line, answered by one JSON line. An attach then turns the
// connection into a stream of frames: a kind byte, a big-endian uint32
// length, the payload.
const (
	OpState    = "state"
	OpStart    = "start"
	OpAttach   = "attach"
	OpResize   = "resize"
	OpKill     = "kill"
	OpWait     = "wait"
	OpShutdown = "shutdown"
	OpExec     = "exec"       // start an additional process; with Attach the connection becomes its attach stream
	OpPids     = "pids"       // the host pids of the container's processes
	OpPause    = "pause"      // freeze the container's processes
	OpResume   = "resume"     // thaw them
	OpReopen   = "reopen-log" // reopen the log at its path (after a kubelet rotated it)
)

// Request is a client's request to the shim.
type Request struct {
	Op     string `json:"op"`
	Stdin  bool   `json:"stdin,omitempty"`  // attach
	Height uint   `json:"height,omitempty"` // resize
	Width  uint   `json:"width,omitempty"`  // resize
	Signal int    `json:"signal,omitempty"` // kill

	// Exec names an exec process: resize, kill and wait act on it instead
	// of the container's init; exec starts it.
	Exec      string         `json:"exec,omitempty"`
	Process   *specs.Process `json:"process,omitempty"`    // exec
	OpenStdin bool           `json:"open_stdin,omitempty"` // exec: give it a stdin
	Attach    bool           `json:"attach,omitempty"`     // exec: stream its stdio on this connection
}

// Response is the shim's answer.
type Response struct {
	Err    string `json:"err,omitempty"`
	Class  string `json:"class,omitempty"`
	Pid    int    `json:"pid,omitempty"`
	Exited bool   `json:"exited,omitempty"`
	Exit   *Exit  `json:"exit,omitempty"`
	Pids   []int  `json:"pids,omitempty"`
}

// Frame kinds.
const (
	FrameStdin    byte = 0 // client -> shim
	FrameStdout   byte = 1 // shim -> client
	FrameStderr   byte = 2 // shim -> client
	FrameEnd      byte = 3 // shim -> client: the container's output ended
	FrameStdinEOF byte = 4 // client -> shim: the client's stdin ended
)

const frameHeader = 5

// MaxFrame bounds a frame's payload; larger ones are a protocol error.
const MaxFrame = 1 << 20

// MakeFrame encodes one frame.
func MakeFrame(kind byte, p []byte) []byte {
	b := make([]byte, frameHeader+len(p))
	b[0] = kind
	binary.BigEndian.PutUint32(b[1:], uint32(len(p)))
	copy(b[frameHeader:], p)
	return b
}

// ReadFrame reads one frame; the payload aliases buf when it fits.
func ReadFrame(r *bufio.Reader, buf []byte) (byte, []byte, error) {
	var h [frameHeader]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(h[1:])
	if n > MaxFrame {
		return 0, nil, errors.New("shim protocol: frame too large")
	}
	if int(n) > cap(buf) {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(r, buf); err != nil {
		return 0, nil, err
	}
	return h[0], buf, nil
}

// Error classes that cross the socket.
var classes = map[string]error{
	"notfound":        errdefs.ErrNotFound,
	"conflict":        errdefs.ErrConflict,
	"invalid":         errdefs.ErrInvalidParameter,
	"unavailable":     errdefs.ErrUnavailable,
	"cannotinvoke":    errdefs.ErrCannotInvoke,
	"commandnotfound": errdefs.ErrCommandNotFound,
	"notimplemented":  errdefs.ErrNotImplemented,
}

// ErrResponse carries err and its class to the client.
func ErrResponse(err error) Response {
	r := Response{Err: err.Error()}
	for name, class := range classes {
		if errors.Is(err, class) {
			r.Class = name
			break
		}
	}
	return r
}

// classedError rebuilds an error sent by the shim, keeping its text and class.
type classedError struct {
	msg   string
	class error
}

func (e *classedError) Error() string        { return e.msg }
func (e *classedError) Is(target error) bool { return e.class != nil && target == e.class }

// AsError is the error the shim sent, nil for success.
func (r Response) AsError() error {
	if r.Err == "" {
		return nil
	}
	return &classedError{msg: r.Err, class: classes[r.Class]}
}

package runtime

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/runtime/libct"
	"github.com/tug-project/tug/internal/runtime/monitor"
)

// HelperMain is a helper (`tug-shim helper --root R --id ID`, cmd/tug-shim):
// the monitor runs one for each operation that needs libcontainer (an
// exec's start, the pids, pause and resume, the final destroy). It reads
// the request on monitor.HelperFd, answers there and exits once the
// monitor has closed its end: an exec's process stays its child until
// then, so that its pid cannot be reused before the monitor watches it.
// It returns the process exit code.
func HelperMain(args []string) int {
	var root, id string
	fs := flag.NewFlagSet("helper", flag.ContinueOnError)
	fs.StringVar(&root, "root", "", "libcontainer state root")
	fs.StringVar(&id, "id", "", "container ID")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	conn := os.NewFile(monitor.HelperFd, "monitor")
	br := bufio.NewReader(conn)
	line, err := br.ReadSlice('\n')
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 1
	}
	var req monitor.Request
	var resp monitor.Response
	if err := json.Unmarshal(line, &req); err != nil {
		resp = monitor.ErrResponse(errdefs.InvalidParameter("helper protocol: %v", err))
	} else {
		resp = help(root, id, req)
	}
	b, _ := json.Marshal(resp)
	if _, err := conn.Write(append(b, '\n')); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 1
	}
	_, _ = io.Copy(io.Discard, br) // until the monitor closes its end
	return 0
}

func help(root, id string, req monitor.Request) monitor.Response {
	if req.Op == monitor.OpDestroy {
		if err := libct.Destroy(root, id); err != nil {
			return monitor.ErrResponse(err)
		}
		return monitor.Response{}
	}
	c, err := libct.Load(root, id)
	if err != nil {
		return monitor.ErrResponse(err)
	}
	switch req.Op {
	case monitor.OpPids:
		pids, err := c.Processes()
		if err != nil {
			return monitor.ErrResponse(err)
		}
		return monitor.Response{Pids: pids}
	case monitor.OpPause, monitor.OpResume:
		if req.Op == monitor.OpPause {
			err = c.Pause()
		} else {
			err = c.Resume()
		}
		if err != nil {
			return monitor.ErrResponse(err)
		}
		return monitor.Response{}
	case monitor.OpExec:
		if req.Process == nil {
			return monitor.ErrResponse(errdefs.InvalidParameter("helper protocol: exec without a process"))
		}
		// The process's stdio (fds 4-6) or console socket (fd 4).
		var stdio libct.ProcessIO
		if req.Process.Terminal {
			stdio.ConsoleSocket = os.NewFile(monitor.HelperFd+1, "console")
		} else {
			stdio.Stdin = os.NewFile(monitor.HelperFd+1, "stdin")
			stdio.Stdout = os.NewFile(monitor.HelperFd+2, "stdout")
			stdio.Stderr = os.NewFile(monitor.HelperFd+3, "stderr")
		}
		p, err := c.Run(req.Process, stdio)
		if err != nil {
			return monitor.ErrResponse(err)
		}
		return monitor.Response{Pid: p.Pid()}
	}
	return monitor.ErrResponse(errdefs.InvalidParameter("helper protocol: unknown op %q", req.Op))
}

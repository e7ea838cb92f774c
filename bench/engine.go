package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// engine is one side of the comparison: a CLI talking to a daemon. Both
// tug and docker run the same measurements through it.
type engine struct {
	name  string   // "tug" or "docker"
	cli   string   // path of the CLI binary
	host  string   // -H value, unix://...
	env   []string // CLI environment
	image string   // the imported busybox image
	trace string   // tug: the file its daemon and shims record spans in ($TUG_TRACE)

	// err, when set, means the engine could not be set up; every metric
	// reports it instead of a number.
	err error

	// daemonPIDs returns the processes whose RSS is "the daemon".
	daemonPIDs func() ([]int, error)
	// shimPIDs returns the shim processes of the given containers.
	shimPIDs func(ids []string) []int

	mu      sync.Mutex
	created map[string]bool // containers made and not yet removed
}

// Bounds on one CLI invocation: measured runs, and everything else
// (import, rm -f of a batch).
const (
	runTimeout = 30 * time.Second
	cliTimeout = 2 * time.Minute
)

func (e *engine) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, e.cli, append([]string{"-H", e.host}, args...)...)
	cmd.Env = e.env
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// cliError describes a failed CLI run: the command, exit status and the
// first lines of stderr.
func (e *engine) cliError(ctx context.Context, args []string, err error, stderr []byte) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		err = fmt.Errorf("no exit within the timeout, killed (%v)", err)
	}
	var lines []string
	for _, l := range strings.Split(string(stderr), "\n") {
		// Drop blank lines and the CLI's "Run 'x --help'" hint.
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "Run '") {
			lines = append(lines, l)
		}
	}
	if len(lines) > 4 {
		lines = append(lines[:4], "...")
	}
	msg := strings.Join(lines, "\n")
	if msg != "" {
		return fmt.Errorf("%s %s: %v: %s", e.name, strings.Join(args, " "), err, msg)
	}
	return fmt.Errorf("%s %s: %v", e.name, strings.Join(args, " "), err)
}

// run runs the CLI and returns its trimmed stdout.
func (e *engine) run(ctx context.Context, stdin io.Reader, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, cliTimeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := e.command(ctx, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", e.cliError(ctx, args, err, stderr.Bytes())
	}
	return strings.TrimSpace(stdout.String()), nil
}

// timed runs the CLI once and returns its wall time, process start to exit.
func (e *engine) timed(ctx context.Context, args ...string) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()
	var stderr bytes.Buffer
	cmd := e.command(ctx, args...)
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		return d, e.cliError(ctx, args, err, stderr.Bytes())
	}
	return d, nil
}

// runDetached starts a detached container running args and records it for
// cleanup. It returns the container ID.
func (e *engine) runDetached(ctx context.Context, name string, args ...string) (string, error) {
	full := append([]string{"run", "-d", "--name", name, e.image}, args...)
	ctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()
	out, err := e.run(ctx, nil, full...)
	if err != nil {
		// The container may exist even though the run failed.
		e.track(name)
		return "", err
	}
	lines := strings.Fields(out)
	if len(lines) == 0 {
		e.track(name)
		return "", fmt.Errorf("%s run -d: printed no container ID", e.name)
	}
	id := lines[len(lines)-1]
	e.track(id)
	return id, nil
}

func (e *engine) track(ref string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.created == nil {
		e.created = map[string]bool{}
	}
	e.created[ref] = true
}

// removeContainers force-removes containers (IDs or names) and forgets them.
func (e *engine) removeContainers(ctx context.Context, refs []string) error {
	if len(refs) == 0 {
		return nil
	}
	var errs []error
	for len(refs) > 0 {
		batch := refs[:min(len(refs), 50)]
		refs = refs[len(batch):]
		_, err := e.run(ctx, nil, append([]string{"rm", "-f"}, batch...)...)
		if err != nil && !strings.Contains(strings.ToLower(err.Error()), "no such container") {
			errs = append(errs, err)
		}
		e.mu.Lock()
		for _, r := range batch {
			delete(e.created, r)
		}
		e.mu.Unlock()
	}
	return errors.Join(errs...)
}

// removeAll force-removes every container this program created.
func (e *engine) removeAll(ctx context.Context) error {
	e.mu.Lock()
	refs := make([]string, 0, len(e.created))
	for r := range e.created {
		refs = append(refs, r)
	}
	e.mu.Unlock()
	return e.removeContainers(ctx, refs)
}

// cliEnv returns the environment for a CLI: ours, without anything that
// would point it at another daemon or context.
func cliEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_CONFIG", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH", "DOCKER_API_VERSION":
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

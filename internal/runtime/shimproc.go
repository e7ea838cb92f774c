package runtime

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"slices"
	"syscall"
	"time"
)

// shimProc is a shim process as tugd sees it: started cold with its
// container's flags, or warm (`tug-shim shim --warm`) and waiting for
// them on its job pipe (Pool). Spawn treats both alike once the job is
// handed over: it reads the creation result from result.
type shimProc struct {
	cmd    *exec.Cmd
	result *os.File // read end of the shim's fd 3: the creation result
	job    *os.File // write end of a warm shim's fd 4; nil once handed over or for a cold shim
	env    []string // the shim's environment (shimEnv when it was started)
	born   time.Time

	exited chan struct{} // closed once the shim has been reaped
	status syscall.WaitStatus

	claimed chan struct{} // a warm shim's: closed when it leaves the pool (Pool.claim)
}

// jobFd is where a warm shim reads its job.
const jobFd = 4

// shimJob is what a warm shim is handed on its job pipe, as one JSON line.
type shimJob struct {
	// Args are the flags a cold shim gets after "shim".
	Args []string `json:"args"`
}

// startShim starts a shim running `shim args...`: detached (its own
// session, stdio on /dev/null, not killed with tugd), in /, with env.
// With warm, the shim also gets a job pipe on fd 4 (see Pool).
func startShim(bin Binaries, args []string, env []string, warm bool) (*shimProc, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	files := []*os.File{w} // fd 3: the creation result
	var jobR, jobW *os.File
	if warm {
		if jobR, jobW, err = os.Pipe(); err != nil {
			r.Close()
			w.Close()
			return nil, err
		}
		files = append(files, jobR) // fd 4: the job
	}
	cmd := exec.Command(shimPath(bin.Shim), args...)
	cmd.Args[0] = bin.Shim // what ps shows
	cmd.Dir = "/"
	cmd.ExtraFiles = files
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Env = env
	err = cmd.Start()
	w.Close()
	if jobR != nil {
		jobR.Close()
	}
	if err != nil {
		r.Close()
		if jobW != nil {
			jobW.Close()
		}
		return nil, err
	}
	p := &shimProc{cmd: cmd, result: r, job: jobW, env: env, born: time.Now(), exited: make(chan struct{}), claimed: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		if cmd.ProcessState != nil {
			p.status, _ = cmd.ProcessState.Sys().(syscall.WaitStatus)
		}
		close(p.exited)
	}()
	return p, nil
}

// errWarmGone means a warm shim was gone before it got its job.
var errWarmGone = errors.New("warm shim is gone")

// hand gives a warm shim its job. It fails, the shim having had no job,
// when the shim has exited or cannot read it (killed: the pipe has no
// reader).
func (p *shimProc) hand(job shimJob) error {
	if p.dead() {
		return errWarmGone
	}
	b, err := json.Marshal(job)
	if err != nil {
		return err
	}
	_, err = p.job.Write(append(b, '\n'))
	p.job.Close()
	p.job = nil
	if err != nil {
		return errWarmGone // EPIPE: no reader left
	}
	return nil
}

// dismiss ends a warm shim that will get no job: the end of its job pipe
// makes it exit (status 0). It does not wait.
func (p *shimProc) dismiss() {
	if p.job != nil {
		p.job.Close()
		p.job = nil
	}
	p.result.Close()
}

// dead reports whether the shim has exited.
func (p *shimProc) dead() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// kill ends the shim and waits until it is reaped.
func (p *shimProc) kill() {
	_ = p.cmd.Process.Kill()
	<-p.exited
}

// sameEnv reports whether env is the shim's environment.
func (p *shimProc) sameEnv(env []string) bool { return slices.Equal(p.env, env) }

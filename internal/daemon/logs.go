package daemon

import (
	"context"
	"io"
	"time"

	"github.com/tug-project/tug/internal/api/backend"
	"github.com/tug-project/tug/internal/errdefs"
	"github.com/tug-project/tug/internal/logger"
)

// ContainerLogs streams a container's json-file log.
func (d *Daemon) ContainerLogs(ctx context.Context, ref string, opts backend.ContainerLogsOptions, out func(tty bool) (stdout, stderr io.Writer)) error {
	c, err := d.lookup(ref)
	if err != nil {
		return err
	}
	c.Lock()
	if c.LogPath == "" {
		c.Unlock()
		return errdefs.NotImplemented("%s", logger.ErrReadNotSupported) // log driver none
	}
	tty := c.Config.Tty
	var stopped <-chan struct{}
	if c.State.Running || c.State.Status == "restarting" {
		stopped = c.WaitNotRunning(c.Changed(), ctx.Done())
	} else {
		closed := make(chan struct{})
		close(closed)
		stopped = closed
	}
	c.Unlock()
	stdout, stderr := out(tty)
	ro := logsReadOptions(opts)
	ro.Stopped = stopped
	return logger.Read(ctx, c.LogPath, ro, func(r logger.Record) error {
		return writeRecord(r, opts.Timestamps, tty, stdout, stderr)
	})
}

// copyLogs replays a log for attach's logs=1.
func (d *Daemon) copyLogs(ctx context.Context, path string, tty bool, opts backend.ContainerLogsOptions, stdout, stderr io.Writer) error {
	return logger.Read(ctx, path, logsReadOptions(opts), func(r logger.Record) error {
		return writeRecord(r, false, tty, stdout, stderr)
	})
}

func logsReadOptions(opts backend.ContainerLogsOptions) logger.ReadOptions {
	return logger.ReadOptions{
		Stdout: opts.Stdout, Stderr: opts.Stderr,
		Tail: opts.Tail, Since: opts.Since, Until: opts.Until, Follow: opts.Follow,
	}
}

func writeRecord(r logger.Record, timestamps, tty bool, stdout, stderr io.Writer) error {
	w := stdout
	if r.Stream == "stderr" && !tty {
		w = stderr
	}
	if w == nil {
		return nil
	}
	line := r.Line
	if timestamps {
		line = append([]byte(r.Time.UTC().Format(time.RFC3339Nano)+" "), line...)
	}
	_, err := w.Write(line)
	return err
}

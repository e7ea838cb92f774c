// The runtime's container-aware GOMAXPROCS is off: the CLI lives for
// milliseconds, and need not find its cgroup mount at start nor keep
// adjusting GOMAXPROCS.
//
//go:debug containermaxprocs=0
//go:debug updatemaxprocs=0

// Command tug is the tug CLI: a Docker-compatible command line that talks
// to tugd (or any Docker Engine API daemon) over its socket.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/tug-project/tug/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	root, c := cli.NewRootCommandFor(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	err := cli.Execute(ctx, root, c, os.Args[1:])
	stop()
	c.Close()
	code, msg := cli.ExitStatus(c, err)
	if msg != "" {
		fmt.Fprintln(os.Stderr, msg)
	}
	os.Exit(code)
}

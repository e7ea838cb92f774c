// Command tug-pause is the program of tug's built-in pause image: the
// process that holds a Kubernetes pod's namespaces (network, IPC, UTS)
// while the pod's containers come and go. It sleeps until SIGINT or
// SIGTERM and reaps any child that is handed to it. Static
// (CGO_ENABLED=0 -ldflags '-s -w').
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for s := range sigs {
		if s == syscall.SIGCHLD {
			for {
				var ws syscall.WaitStatus
				pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
				if pid <= 0 || err != nil {
					break
				}
			}
			continue
		}
		os.Exit(0)
	}
}

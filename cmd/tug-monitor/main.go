// Command tug-monitor is what each container's shim becomes once the
// container is created (`tug-monitor monitor ...`, executed by tug-shim in
// its own process, internal/runtime/monitor): it holds the container's
// stdio and log, serves the shim's socket, reaps the container and
// records its exit. It links neither libcontainer nor cgo, so a running
// container costs little memory; it runs tug-shim for the few operations
// that need libcontainer.
package main

import (
	"fmt"
	"os"

	"github.com/tug-project/tug/internal/runtime/monitor"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "monitor" {
		os.Exit(monitor.Main(os.Args[2:]))
	}
	fmt.Fprintln(os.Stderr, "tug-monitor is executed by tug-shim once it has created a container")
	os.Exit(2)
}

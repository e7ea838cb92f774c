// The runtime's container-aware GOMAXPROCS is off: the container's init
// starts inside the container's cgroups at every start and need not find
// their mount before it executes the user's command; the shim itself runs
// with GOMAXPROCS=1.
//
//go:debug containermaxprocs=0
//go:debug updatemaxprocs=0

// Command tug-shim is the process tugd spawns for each container: the
// shim (`tug-shim shim ...`, internal/runtime), which creates the
// container and then becomes tug-monitor; re-executed by libcontainer, the
// container's init (`tug-shim init`); and run by the monitor, a helper for
// the operations that need libcontainer (`tug-shim helper ...`). It links
// only the runtime, so it starts faster than the whole tugd would.
package main

import (
	"fmt"
	"os"

	"github.com/tug-project/tug/internal/runtime"
	"github.com/tug-project/tug/internal/runtime/libct"
)

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "init":
			libct.Init() // never returns
		case "shim":
			os.Exit(runtime.ShimMain(os.Args[2:]))
		case "helper":
			os.Exit(runtime.HelperMain(os.Args[2:]))
		}
	}
	fmt.Fprintln(os.Stderr, "tug-shim is started by tugd: `tug-shim shim ...` runs a container's shim, `tug-shim init` its init, `tug-shim helper` an operation of its monitor")
	os.Exit(2)
}

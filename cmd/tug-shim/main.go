// Command tug-shim is the process tugd spawns for each container: the
// shim (`tug-shim shim ...`, internal/runtime) and, re-executed by
// libcontainer, the container's init (`tug-shim init`). It links only the
// runtime, so it starts faster and costs less memory per container than
// the whole tugd would.
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
		}
	}
	fmt.Fprintln(os.Stderr, "tug-shim is started by tugd: `tug-shim shim ...` runs a container's shim, `tug-shim init` its init")
	os.Exit(2)
}

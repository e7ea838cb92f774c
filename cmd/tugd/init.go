package main

import (
	"os"

	"github.com/tug-project/tug/internal/runtime/libct"
)

// init hands `tugd init` (the container init libcontainer re-executes)
// to libcontainer before anything else runs; it never returns.
func init() {
	if len(os.Args) > 1 && os.Args[1] == "init" {
		libct.Init()
	}
}

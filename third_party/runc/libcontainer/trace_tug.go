package libcontainer

// Trace, when set by the user of the library, is called as each phase of a
// container's start begins and returns the function that ends the phase
// (tug records them as spans of its start-up breakdown). The default does
// nothing. The init has its own: set it before Init.
var Trace = func(string) func() { return func() {} }

// TraceEnv, when set, names an environment variable passed on to the init
// if the caller has it (tug: the file its spans go to), so that the init's
// Trace can record its phases too. The init clears its environment before
// it sets up the container: read the variable before Init.
var TraceEnv string

// PassEnv names environment variables passed on to the init when the
// caller has them (a tug change, like TraceEnv): the init clears its
// environment before it sets up the container, so it reads them first.
var PassEnv []string

// BeforeExec, when set (in the init, before Init), is called on the init's
// main thread just before it executes the container's process, after
// everything else (a tug change: tug's init restores the timer slack its
// shim raised, so that the container's process gets the host's).
var BeforeExec func()

func beforeExec() {
	if BeforeExec != nil {
		BeforeExec()
	}
}

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

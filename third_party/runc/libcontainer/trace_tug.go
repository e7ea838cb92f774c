package libcontainer

// Trace, when set by the user of the library, is called as each phase of a
// container's start begins and returns the function that ends the phase
// (tug records them as spans of its start-up breakdown). The default does
// nothing.
var Trace = func(string) func() { return func() {} }

package container

import "strings"

// CommandLine is the COMMAND of a container list entry, as Docker writes it:
// the path and the arguments joined by spaces, an argument holding a space
// wrapped in single quotes.
func CommandLine(path string, args []string) string {
	if len(args) == 0 {
		return path
	}
	parts := make([]string, 0, len(args)+1)
	parts = append(parts, path)
	for _, a := range args {
		if strings.Contains(a, " ") {
			a = "'" + a + "'"
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

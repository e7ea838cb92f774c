package command

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/docker/go-units"
)

// Confirm prints Docker's prune warning and reads a yes from stdin.
func Confirm(c *Cli, warning string) bool {
	fmt.Fprintf(c.Out(), "%s\nAre you sure you want to continue? [y/N] ", warning)
	line, _ := bufio.NewReader(c.In()).ReadString('\n')
	a := strings.ToLower(strings.TrimSpace(line))
	return a == "y" || a == "yes"
}

// ReclaimedSpace is the last line of every prune, as Docker prints it.
func ReclaimedSpace(n uint64) string {
	return "Total reclaimed space: " + units.HumanSize(float64(n))
}

// PrintPruneReport prints what a prune deleted (report, Docker's
// "Deleted ...:" lists, may be empty) and the space it reclaimed.
func PrintPruneReport(c *Cli, report string, reclaimed uint64) {
	if report != "" {
		fmt.Fprintln(c.Out(), report)
	}
	fmt.Fprintln(c.Out(), ReclaimedSpace(reclaimed))
}

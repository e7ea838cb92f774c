package command

import (
	"context"
	"strings"

	"github.com/tug-project/tug/internal/cli/format"
)

// Inspect runs docker's inspect loop: every reference is looked up, the
// found ones are printed (JSON array or template), errors are reported
// after them and make the exit status 1; a bad template exits 64.
func Inspect(ctx context.Context, c *Cli, fmtStr string, refs []string, get func(context.Context, string) (any, []byte, error)) error {
	ins, err := format.NewInspector(c.Out(), fmtStr)
	if err != nil {
		return StatusError{StatusCode: 64, Status: err.Error()}
	}
	var errs []string
	for _, ref := range refs {
		typed, raw, err := get(ctx, ref)
		if err != nil {
			errs = append(errs, ErrorText(err, c.Host()))
			continue
		}
		if err := ins.Inspect(typed, raw); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if err := ins.Flush(); err != nil {
		return StatusError{StatusCode: 1, Status: err.Error()}
	}
	if len(errs) > 0 {
		return StatusError{StatusCode: 1, Status: strings.Join(errs, "\n")}
	}
	return nil
}

package system

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/template"
	"time"

	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"
	"github.com/moby/moby/client/pkg/jsonmessage"
	"github.com/spf13/cobra"
	"github.com/tug-project/tug/internal/cli/command"
	"github.com/tug-project/tug/internal/cli/format"
	"github.com/tug-project/tug/internal/cli/opts"
)

type eventsOptions struct {
	since, until string
	filters      []string
	format       string
}

func newEventsCommand(c *command.Cli) *cobra.Command {
	var o eventsOptions
	cmd := &cobra.Command{
		Use:   "events [OPTIONS]",
		Short: "Get real time events from the server",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runEvents(cmd.Context(), c, &o)
		},
		Annotations: map[string]string{"aliases": "tug system events, tug events"},
	}
	flags := cmd.Flags()
	flags.StringVar(&o.since, "since", "", "Show all events created since timestamp")
	flags.StringVar(&o.until, "until", "", "Stream events until this timestamp")
	flags.VarP(opts.NewList(&o.filters, "filter"), "filter", "f", "Filter output based on conditions provided")
	flags.StringVar(&o.format, "format", "", format.InspectFormatHelp)
	return cmd
}

func runEvents(ctx context.Context, c *command.Cli, o *eventsOptions) error {
	var tmpl *template.Template
	if o.format != "" {
		f := o.format
		if f == format.JSONFormatKey {
			f = format.JSONFormat
		}
		t, err := format.Parse(f)
		if err != nil {
			return command.StatusError{StatusCode: 64, Status: "template parsing error: " + err.Error()}
		}
		tmpl = t
	}
	f, err := opts.Filters(o.filters)
	if err != nil {
		return err
	}
	now := time.Now()
	since, until := o.since, o.until
	if since != "" {
		if since, err = opts.Timestamp(since, now); err != nil {
			return err
		}
	}
	if until != "" {
		if until, err = opts.Timestamp(until, now); err != nil {
			return err
		}
	}
	res := c.Client().Events(ctx, client.EventsListOptions{Since: since, Until: until, Filters: f})
	for {
		select {
		case ev := <-res.Messages:
			if tmpl != nil {
				if err := tmpl.Execute(c.Out(), ev); err != nil {
					return err
				}
				fmt.Fprintln(c.Out())
				continue
			}
			PrintEvent(c.Out(), ev)
		case err := <-res.Err:
			if err == nil || errors.Is(err, io.EOF) || errors.Is(err, context.Canceled) {
				return nil
			}
			return err
		}
	}
}

// PrintEvent writes one event like docker: time, type, action, actor and
// its sorted attributes.
func PrintEvent(w io.Writer, ev events.Message) {
	switch {
	case ev.TimeNano != 0:
		fmt.Fprintf(w, "%s ", time.Unix(0, ev.TimeNano).Format(jsonmessage.RFC3339NanoFixed))
	case ev.Time != 0:
		fmt.Fprintf(w, "%s ", time.Unix(ev.Time, 0).Format(jsonmessage.RFC3339NanoFixed))
	}
	fmt.Fprintf(w, "%s %s %s", ev.Type, ev.Action, ev.Actor.ID)
	if len(ev.Actor.Attributes) > 0 {
		keys := make([]string, 0, len(ev.Actor.Attributes))
		for k := range ev.Actor.Attributes {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		attrs := make([]string, 0, len(keys))
		for _, k := range keys {
			attrs = append(attrs, k+"="+ev.Actor.Attributes[k])
		}
		fmt.Fprintf(w, " (%s)", strings.Join(attrs, ", "))
	}
	fmt.Fprintln(w)
}

package format

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"text/template"
	"unicode/utf8"
)

// Well-known --format values.
const (
	TableFormatKey = "table"
	JSONFormatKey  = "json"
	JSONFormat     = "{{json .}}"
)

// Funcs are docker's template functions (cli/templates): json, split, join,
// title, lower, upper, pad, truncate; println and the other text/template
// builtins come with the package.
var Funcs = template.FuncMap{
	"json": func(v any) string {
		buf := &bytes.Buffer{}
		enc := json.NewEncoder(buf)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(v)
		return strings.TrimSpace(buf.String())
	},
	"split":    strings.Split,
	"join":     strings.Join,
	"title":    title,
	"lower":    strings.ToLower,
	"upper":    strings.ToUpper,
	"pad":      pad,
	"truncate": truncate,
}

// headerFuncs render column titles unchanged whatever function wraps them.
var headerFuncs = template.FuncMap{
	"json":     func(v string) string { return v },
	"split":    func(v string, _ string) string { return v },
	"join":     func(v string, _ string) string { return v },
	"title":    func(v string) string { return v },
	"lower":    func(v string) string { return v },
	"upper":    func(v string) string { return v },
	"pad":      func(v string, _, _ int) string { return v },
	"truncate": func(v string, _ int) string { return v },
}

func title(s string) string {
	prev := ' '
	var b strings.Builder
	for _, r := range s {
		if prev == ' ' || prev == '\t' || prev == '\n' || prev == '-' || prev == '_' {
			b.WriteString(strings.ToUpper(string(r)))
		} else {
			b.WriteRune(r)
		}
		prev = r
	}
	return b.String()
}

func pad(s string, prefix, suffix int) string {
	if s == "" {
		return s
	}
	return strings.Repeat(" ", prefix) + s + strings.Repeat(" ", suffix)
}

func truncate(s string, n int) string {
	if len(s) < n {
		return s
	}
	return s[:n]
}

// Parse parses a --format template with docker's functions.
func Parse(format string) (*template.Template, error) {
	return template.New("").Funcs(Funcs).Parse(format)
}

// Ellipsis truncates s to at most max runes, ending in "…" when it cut.
func Ellipsis(s string, max int) string {
	if max <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	if max == 1 {
		return "…"
	}
	r := []rune(s)
	return string(r[:max-1]) + "…"
}

// TruncateID shortens an ID (with or without "sha256:") to 12 characters.
func TruncateID(id string) string {
	if i := strings.IndexRune(id, ':'); i >= 0 {
		id = id[i+1:]
	}
	if len(id) > 12 {
		id = id[:12]
	}
	return id
}

// Format is a --format value.
type Format string

// IsTable reports whether f starts with "table".
func (f Format) IsTable() bool { return strings.HasPrefix(string(f), TableFormatKey) }

// IsJSON reports whether f is the "json" shorthand.
func (f Format) IsJSON() bool { return string(f) == JSONFormatKey }

// Context is where and how a formatter writes.
type Context struct {
	Output io.Writer
	Format Format
	Trunc  bool
}

// HeaderContext maps field names to column titles for table headers.
type HeaderContext map[string]string

// Label is the column title for {{.Label "x"}}: the last dotted part.
func (HeaderContext) Label(name string) string {
	n := strings.Split(name, ".")
	return strings.NewReplacer("-", " ", "_", " ").Replace(n[len(n)-1])
}

// Write renders each row with the context's format: a table (header plus
// tab-aligned rows), or one template execution per line.
func (c Context) Write(header HeaderContext, rows []any) error {
	f := string(c.Format)
	table := c.Format.IsTable()
	if table {
		f = f[len(TableFormatKey):]
	}
	f = strings.Trim(f, " ")
	f = strings.NewReplacer(`\t`, "\t", `\n`, "\n").Replace(f)
	tmpl, err := Parse(f)
	if err != nil {
		return fmt.Errorf("template parsing error: %w", err)
	}
	var buf bytes.Buffer
	for _, row := range rows {
		if err := tmpl.Execute(&buf, row); err != nil {
			return fmt.Errorf("template: %w", err)
		}
		buf.WriteString("\n")
	}
	if !table {
		_, err := buf.WriteTo(c.Output)
		return err
	}
	tw := tabwriter.NewWriter(c.Output, 10, 1, 3, ' ', 0)
	if htmpl, err := template.New("").Funcs(headerFuncs).Parse(f); err == nil {
		var hbuf bytes.Buffer
		if err := htmpl.Execute(&hbuf, header); err == nil && hbuf.Len() > 0 {
			hbuf.WriteString("\n")
			_, _ = hbuf.WriteTo(tw)
		}
	}
	_, _ = buf.WriteTo(tw)
	return tw.Flush()
}

// ListFormatHelp is docker's --format help for list commands.
const ListFormatHelp = `Format output using a custom template:
'table':            Print output in table format with column headers (default)
'table TEMPLATE':   Print output in table format using the given Go template
'json':             Print in JSON format
'TEMPLATE':         Print output using the given Go template.
Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates`

// InspectFormatHelp is docker's --format help for inspect-like commands.
const InspectFormatHelp = `Format output using a custom template:
'json':             Print in JSON format
'TEMPLATE':         Print output using the given Go template.
Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates`

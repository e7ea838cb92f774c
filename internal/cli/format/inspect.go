package format

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"text/template"
)

// Inspector collects objects for `inspect` and writes them as an indented
// JSON array, or one template execution per object.
type Inspector struct {
	out  io.Writer
	tmpl *template.Template
	raws [][]byte
	buf  bytes.Buffer
}

// NewInspector returns an inspector for the --format value (empty or
// "json" means the indented JSON array). A bad template is a StatusError
// with exit code 64 at the caller's discretion; here it is an error.
func NewInspector(out io.Writer, format string) (*Inspector, error) {
	i := &Inspector{out: out}
	if format == "" || format == JSONFormatKey {
		return i, nil
	}
	t, err := Parse(format)
	if err != nil {
		return nil, fmt.Errorf("template parsing error: %w", err)
	}
	i.tmpl = t
	return i, nil
}

// Inspect adds one object: typed is used for templates, raw is the
// daemon's JSON (kept as is for the array output and as the fallback for
// templates that reference fields the typed value lacks).
func (i *Inspector) Inspect(typed any, raw []byte) error {
	if i.tmpl == nil {
		if raw == nil {
			b, err := json.Marshal(typed)
			if err != nil {
				return err
			}
			raw = b
		}
		i.raws = append(i.raws, bytes.TrimSpace(raw))
		return nil
	}
	var tmp bytes.Buffer
	if err := i.tmpl.Execute(&tmp, typed); err != nil {
		if raw == nil {
			return fmt.Errorf("template: %w", err)
		}
		generic, jerr := decodeRaw(raw)
		if jerr != nil {
			return fmt.Errorf("template: %w", err)
		}
		tmp.Reset()
		if err := i.tmpl.Execute(&tmp, generic); err != nil {
			return fmt.Errorf("template: %w", err)
		}
	}
	i.buf.Write(tmp.Bytes())
	i.buf.WriteString("\n")
	return nil
}

// decodeRaw decodes the daemon's JSON for templates as docker/cli does:
// numbers stay json.Number, so 500000000 prints as such, not as 5e+08.
func decodeRaw(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// Flush writes what was collected.
func (i *Inspector) Flush() error {
	if i.tmpl != nil {
		_, err := i.buf.WriteTo(i.out)
		return err
	}
	if len(i.raws) == 0 {
		_, err := io.WriteString(i.out, "[]\n")
		return err
	}
	arr := append([]byte("["), bytes.Join(i.raws, []byte(","))...)
	arr = append(arr, ']')
	var ind bytes.Buffer
	if err := json.Indent(&ind, arr, "", "    "); err != nil {
		return err
	}
	ind.WriteString("\n")
	_, err := ind.WriteTo(i.out)
	return err
}

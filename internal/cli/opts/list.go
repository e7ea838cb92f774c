package opts

import (
	"fmt"

	"github.com/spf13/pflag"
)

// listValue is a repeatable string flag shown with docker's type name
// ("list", "filter") in help.
type listValue struct {
	values *[]string
	typ    string
}

// NewList returns a repeatable flag value appending to p, named typ in
// help output ("list" or "filter" in docker).
func NewList(p *[]string, typ string) pflag.Value {
	return &listValue{values: p, typ: typ}
}

func (l *listValue) Set(v string) error {
	*l.values = append(*l.values, v)
	return nil
}

func (l *listValue) String() string {
	if len(*l.values) == 0 {
		return ""
	}
	return fmt.Sprintf("%v", *l.values)
}

func (l *listValue) Type() string { return l.typ }

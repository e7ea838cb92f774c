package logger

import (
	"strings"
	"testing"
)

func TestValidateDriver(t *testing.T) {
	for name, want := range map[string]string{
		"json-file": "",
		"none":      "",
		"local":     "the local log driver is not supported by tug",
		"syslog":    "no log driver named 'syslog' is registered",
	} {
		err := ValidateDriver(name)
		if (want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), want) {
			t.Errorf("ValidateDriver(%q) = %v, want %q", name, err, want)
		}
	}
}

func TestNoOptionsRefusesAnyOption(t *testing.T) {
	if err := NoOptions(nil); err != nil {
		t.Errorf("NoOptions(nil) = %v", err)
	}
	if err := NoOptions(map[string]string{"max-size": "1m"}); err == nil || !strings.Contains(err.Error(), "max-size") {
		t.Errorf("NoOptions(max-size) = %v, want an error naming it", err)
	}
}

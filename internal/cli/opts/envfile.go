package opts

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"
)

const whiteSpaces = " \t"

// ErrBadFile is a malformed line in an env or label file.
type ErrBadFile struct{ File, Msg string }

func (e ErrBadFile) Error() string { return fmt.Sprintf("invalid env file (%s): %s", e.File, e.Msg) }

// ParseKeyValueFile reads a docker env/label file: blank lines and lines
// starting with # are skipped, leading whitespace is trimmed, a line
// without "=" takes its value from lookup (and is dropped when lookup is nil
// or reports it unset).
func ParseKeyValueFile(filename string, lookup func(string) (string, bool)) ([]string, error) {
	data, err := os.ReadFile(filename)
	if err != nil {
		return nil, err
	}
	return parseKeyValue(filename, data, lookup)
}

func parseKeyValue(filename string, data []byte, lookup func(string) (string, bool)) ([]string, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	lines := []string{}
	n := 0
	for sc.Scan() {
		b := sc.Bytes()
		if !utf8.Valid(b) {
			return nil, ErrBadFile{filename, fmt.Sprintf("invalid utf8 bytes at line %d: %v", n+1, b)}
		}
		if n == 0 {
			b = bytes.TrimPrefix(b, []byte{0xEF, 0xBB, 0xBF})
		}
		n++
		line := strings.TrimLeftFunc(string(b), unicode.IsSpace)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, val, hasValue := strings.Cut(line, "=")
		key = strings.TrimLeft(key, whiteSpaces)
		if strings.ContainsAny(key, whiteSpaces) {
			return nil, ErrBadFile{filename, fmt.Sprintf("variable '%s' contains whitespaces", key)}
		}
		if key == "" {
			return nil, ErrBadFile{filename, fmt.Sprintf("no variable name on line '%s'", line)}
		}
		if hasValue {
			lines = append(lines, key+"="+val)
			continue
		}
		if lookup != nil {
			if v, ok := lookup(key); ok {
				lines = append(lines, key+"="+v)
			}
		}
	}
	return lines, sc.Err()
}

// ReadEnv merges env files (in order) with -e values; a bare -e KEY takes
// its value from lookup and is dropped when unset there.
func ReadEnv(files, values []string, lookup func(string) (string, bool)) ([]string, error) {
	var out []string
	for _, f := range files {
		l, err := ParseKeyValueFile(f, lookup)
		if err != nil {
			return nil, err
		}
		out = append(out, l...)
	}
	for _, v := range values {
		k, _, hasValue := strings.Cut(v, "=")
		if k == "" {
			return nil, fmt.Errorf("invalid environment variable: %s", v)
		}
		if hasValue {
			out = append(out, v)
			continue
		}
		if val, ok := lookup(k); ok {
			out = append(out, k+"="+val)
		}
	}
	return out, nil
}

// ReadLabels merges label files with -l values into a map; "k" alone is
// an empty label.
func ReadLabels(files, values []string) (map[string]string, error) {
	var all []string
	for _, f := range files {
		l, err := ParseKeyValueFile(f, nil)
		if err != nil {
			return nil, err
		}
		all = append(all, l...)
	}
	all = append(all, values...)
	m := make(map[string]string, len(all))
	for _, kv := range all {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m, nil
}

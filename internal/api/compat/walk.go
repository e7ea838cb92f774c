package compat

import (
	"reflect"
	"strings"
)

// mobyTypes is where the request types tug walks come from: structs of
// these packages are walked into, others (netip.Addr, go-units' Ulimit)
// are single fields.
const mobyTypes = "github.com/moby/moby/api/"

// FieldPaths lists the path of every exported field of t, recursively into
// the moby structs it holds (embedded or nested, through pointers, slices,
// arrays and maps): "HostConfig.Resources.Memory",
// "NetworkingConfig.EndpointsConfig[].IPAMConfig.IPv4Address". A field
// that is itself a walked struct is listed before its fields; leaves
// reports which paths are not.
func FieldPaths(t reflect.Type) (all []string, leaves map[string]bool) {
	leaves = map[string]bool{}
	walkType(t, "", &all, leaves, map[reflect.Type]bool{})
	return all, leaves
}

func walkType(t reflect.Type, prefix string, out *[]string, leaves map[string]bool, seen map[reflect.Type]bool) {
	t, elems := elem(t)
	if prefix != "" {
		if !walked(t) || seen[t] {
			leaves[prefix] = true
			return
		}
		prefix += elems
	}
	seen[t] = true
	defer delete(seen, t)
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		p := f.Name
		if prefix != "" {
			p = prefix + "." + f.Name
		}
		*out = append(*out, p)
		walkType(f.Type, p, out, leaves, seen)
	}
}

// elem strips pointers, slices, arrays and maps off t; elems is "[]" when
// a slice, array or map was crossed.
func elem(t reflect.Type) (_ reflect.Type, elems string) {
	for {
		switch t.Kind() {
		case reflect.Pointer:
			t = t.Elem()
		case reflect.Slice, reflect.Array, reflect.Map:
			t, elems = t.Elem(), "[]"
		default:
			return t, elems
		}
	}
}

// walked reports whether t is a moby struct with exported fields.
func walked(t reflect.Type) bool {
	if t.Kind() != reflect.Struct || !strings.HasPrefix(t.PkgPath(), mobyTypes) {
		return false
	}
	for i := range t.NumField() {
		if t.Field(i).IsExported() {
			return true
		}
	}
	return false
}

// values returns the values at path in v: one per element where the path
// crosses a slice, array or map ("A[].B"); none where a pointer on the way
// is nil.
func values(v reflect.Value, path string) []reflect.Value {
	cur := []reflect.Value{v}
	for seg := range strings.SplitSeq(path, ".") {
		name, each := strings.CutSuffix(seg, "[]")
		var next []reflect.Value
		for _, c := range cur {
			c = deref(c)
			if !c.IsValid() || c.Kind() != reflect.Struct {
				continue
			}
			f := c.FieldByName(name)
			if !f.IsValid() {
				continue
			}
			if !each {
				next = append(next, f)
				continue
			}
			f = deref(f)
			switch f.Kind() {
			case reflect.Slice, reflect.Array:
				for i := range f.Len() {
					next = append(next, f.Index(i))
				}
			case reflect.Map:
				iter := f.MapRange()
				for iter.Next() {
					next = append(next, iter.Value())
				}
			}
		}
		cur = next
	}
	return cur
}

func deref(v reflect.Value) reflect.Value {
	for v.IsValid() && (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) {
		if v.IsNil() {
			return reflect.Value{}
		}
		v = v.Elem()
	}
	return v
}

// empty reports whether v is its type's zero value or an empty slice or
// map (clients send [] and {} as readily as null).
func empty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Slice, reflect.Map:
		return v.Len() == 0
	}
	return v.IsZero()
}

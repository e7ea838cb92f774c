package compat

import (
	"net/http"
	"net/url"
	"reflect"
	"strings"

	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"github.com/tug-project/tug/internal/errdefs"
)

// Fields is the decision for one request type: every field path (see
// FieldPaths) is handled or refused.
type Fields struct {
	// Handled maps a field path to where it takes effect (or is checked
	// with its own error there).
	Handled map[string]string
	// Refused are the fields tug does not implement, or implements only
	// for some values.
	Refused []Rule
}

// Rule refuses the non-zero values of one field.
type Rule struct {
	Path string
	// Msg is the error for a refused value; a verb in it (%v, %q) gets
	// the value.
	Msg string
	// Allow accepts values besides the zero value (Docker's defaults, or
	// the part tug implements); nil accepts only the zero value.
	Allow func(v reflect.Value) bool
}

// Err is the error Rule gives for v.
func (r Rule) Err(v reflect.Value) error {
	if strings.Contains(r.Msg, "%") {
		return errdefs.InvalidParameter(r.Msg, deref(v).Interface())
	}
	return errdefs.InvalidParameter("%s", r.Msg)
}

// Check returns the error of the first refused field set in req (a
// pointer to, or a value of, the request type), or nil.
func (f Fields) Check(req any) error {
	v := reflect.ValueOf(req)
	for _, r := range f.Refused {
		for _, fv := range values(v, r.Path) {
			if empty(fv) || r.Allow != nil && r.Allow(fv) {
				continue
			}
			return r.Err(fv)
		}
	}
	return nil
}

// ContainerCreate checks a container-create request (POST
// /containers/create) before anything is created.
func ContainerCreate(req *apicontainer.CreateRequest) error {
	return ContainerCreateFields.Check(req)
}

// ExecCreate checks an exec-create request (POST /containers/{id}/exec).
func ExecCreate(req *apicontainer.ExecCreateRequest) error {
	return ExecCreateFields.Check(req)
}

// ExecStart checks an exec-start request (POST /exec/{id}/start). Its Tty
// decides whether the stream is framed, as in Docker, whatever the exec
// was created with.
func ExecStart(req apicontainer.ExecStartRequest) error {
	return ExecStartFields.Check(req)
}

// NetworkCreate checks a network-create request (POST /networks/create).
func NetworkCreate(req *network.CreateRequest) error {
	return NetworkCreateFields.Check(req)
}

// NetworkConnect checks a network-connect request (POST
// /networks/{id}/connect).
func NetworkConnect(req *network.ConnectRequest) error {
	return NetworkConnectFields.Check(req)
}

// Build checks the query parameters and headers of POST /build.
func Build(q url.Values, h http.Header) error {
	for _, p := range BuildParams.Refused {
		vals, ok := q[p.Name]
		if !ok {
			continue
		}
		for _, v := range vals {
			if zeroParam(v) || p.Allow != nil && p.Allow(v) {
				continue
			}
			if strings.Contains(p.Msg, "%") {
				return errdefs.InvalidParameter(p.Msg, v)
			}
			return errdefs.InvalidParameter("%s", p.Msg)
		}
	}
	return nil
}

// Params is the decision for the query parameters of a request.
type Params struct {
	Handled map[string]string // parameter → where it takes effect
	Refused []ParamRule
}

// ParamRule refuses the non-empty values of one query parameter.
type ParamRule struct {
	Name  string
	Msg   string // a verb in it gets the value
	Allow func(v string) bool
}

// zeroParam reports whether a query value is a zero value as clients send
// them.
func zeroParam(v string) bool {
	switch strings.TrimSpace(v) {
	case "", "0", "false", "[]", "{}", "null":
		return true
	}
	return false
}

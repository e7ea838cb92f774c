package distribution

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/distribution/reference"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/tug-project/tug/internal/errdefs"
)

// codeText is the registry error code as Docker prints it ("manifest unknown").
func codeText(c transport.ErrorCode) string {
	return strings.ToLower(strings.ReplaceAll(string(c), "_", " "))
}

// pullError gives a registry error Docker's texts and classes (moby
// distribution/errors.go).
func pullError(err error, named reference.Named, anonymous bool) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var terr *transport.Error
	if !errors.As(err, &terr) {
		return err
	}
	for _, d := range terr.Errors {
		cause := codeText(d.Code) + ": " + d.Message
		switch d.Code {
		case transport.ManifestUnknownErrorCode:
			return errdefs.NotFound("manifest for %s not found: %s", reference.FamiliarString(named), cause)
		case transport.NameUnknownErrorCode, transport.DeniedErrorCode:
			return errdefs.NotFound("pull access denied for %s, repository does not exist or may require 'docker login': %s", reference.FamiliarName(named), cause)
		case transport.UnauthorizedErrorCode:
			if anonymous {
				return errdefs.NotFound("pull access denied for %s, repository does not exist or may require 'docker login': %s", reference.FamiliarName(named), cause)
			}
			return errdefs.Unauthorized("%s", requestError(terr, cause))
		}
	}
	switch terr.StatusCode {
	case http.StatusNotFound:
		return errdefs.NotFound("manifest for %s not found: manifest unknown: manifest unknown", reference.FamiliarString(named))
	case http.StatusUnauthorized:
		if anonymous {
			return errdefs.NotFound("pull access denied for %s, repository does not exist or may require 'docker login': denied: requested access to the resource is denied", reference.FamiliarName(named))
		}
		return errdefs.Unauthorized("%s", requestError(terr, "unauthorized: incorrect username or password"))
	case http.StatusForbidden:
		return errdefs.Forbidden("%s", requestError(terr, "denied: requested access to the resource is denied"))
	}
	return err
}

// authError classifies an error of a push or login.
func authError(err error) error {
	var terr *transport.Error
	if errors.As(err, &terr) && terr.StatusCode == http.StatusUnauthorized {
		cause := "unauthorized: incorrect username or password"
		if len(terr.Errors) > 0 {
			cause = codeText(terr.Errors[0].Code) + ": " + terr.Errors[0].Message
		}
		return errdefs.Unauthorized("%s", requestError(terr, cause))
	}
	return err
}

// requestError is Docker's `Get "url": cause` form.
func requestError(terr *transport.Error, cause string) string {
	if terr.Request == nil {
		return cause
	}
	u := *terr.Request.URL
	u.RawQuery = ""
	return fmt.Sprintf("%s %q: %s", methodName(terr.Request.Method), u.String(), cause)
}

func methodName(m string) string {
	if m == "" {
		return "Get"
	}
	return m[:1] + strings.ToLower(m[1:])
}

package volume

import (
	"regexp"

	"github.com/tug-project/tug/internal/errdefs"
)

// DefaultDriver is the one volume driver: local.
const DefaultDriver = "local"

var nameRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]+$`)

// ValidateName refuses a name the local driver cannot use, with Docker's
// text.
func ValidateName(name string) error {
	if !nameRE.MatchString(name) {
		return errdefs.InvalidParameter("%q includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path", name)
	}
	return nil
}

// ValidateDriver refuses a volume driver other than local ("" means local)
// with Docker's text for a missing plugin.
func ValidateDriver(driver string) error {
	if driver == "" || driver == DefaultDriver {
		return nil
	}
	// Docker says 404; 400 here, so clients do not take it for a
	// missing image and pull.
	return errdefs.InvalidParameter("error looking up volume plugin %s: plugin %q not found", driver, driver)
}

// ValidateOptions checks the local driver's options: type, device, o
// (what mount(8) takes); with any of them, type and device are required,
// as in Docker.
func ValidateOptions(opts map[string]string) error {
	if len(opts) == 0 {
		return nil
	}
	for k := range opts {
		switch k {
		case "type", "device", "o":
		default:
			return errdefs.InvalidParameter("invalid option: %q", k)
		}
	}
	if opts["type"] == "" {
		return errdefs.InvalidParameter("missing required option: \"type\"")
	}
	if opts["device"] == "" {
		return errdefs.InvalidParameter("missing required option: \"device\"")
	}
	return nil
}

package image

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"

	"github.com/tug-project/tug/internal/errdefs"
)

// ApplyChanges applies Dockerfile-like change lines (`docker import -c`,
// `docker commit -c`) to cfg: CMD, ENTRYPOINT, ENV, EXPOSE, HEALTHCHECK,
// LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR.
func ApplyChanges(cfg *dockerspec.DockerOCIImageConfig, changes []string) error {
	for _, line := range changes {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		kw, rest, _ := strings.Cut(line, " ")
		kw = strings.ToLower(kw)
		rest = strings.TrimSpace(rest)
		if err := applyChange(cfg, kw, rest); err != nil {
			return err
		}
	}
	return nil
}

func shellForm(cfg *dockerspec.DockerOCIImageConfig, rest string) []string {
	sh := cfg.Shell
	if len(sh) == 0 {
		sh = []string{"/bin/sh", "-c"}
	}
	return append(append([]string(nil), sh...), rest)
}

// jsonOrShell parses an exec-form JSON array, falling back to shell form.
func jsonOrShell(cfg *dockerspec.DockerOCIImageConfig, rest string) []string {
	if strings.HasPrefix(rest, "[") {
		var args []string
		if err := json.Unmarshal([]byte(rest), &args); err == nil {
			return args
		}
	}
	return shellForm(cfg, rest)
}

func applyChange(cfg *dockerspec.DockerOCIImageConfig, kw, rest string) error {
	switch kw {
	case "cmd":
		cfg.Cmd = jsonOrShell(cfg, rest)
	case "entrypoint":
		cfg.Entrypoint = jsonOrShell(cfg, rest)
		if rest == "" || rest == "[]" {
			cfg.Entrypoint = nil
		}
	case "env":
		kv, err := keyValues("ENV", rest)
		if err != nil {
			return err
		}
		for _, p := range kv {
			set := p[0] + "=" + p[1]
			replaced := false
			for i, e := range cfg.Env {
				if k, _, _ := strings.Cut(e, "="); k == p[0] {
					cfg.Env[i], replaced = set, true
				}
			}
			if !replaced {
				cfg.Env = append(cfg.Env, set)
			}
		}
	case "label":
		kv, err := keyValues("LABEL", rest)
		if err != nil {
			return err
		}
		if cfg.Labels == nil {
			cfg.Labels = map[string]string{}
		}
		for _, p := range kv {
			cfg.Labels[p[0]] = p[1]
		}
	case "expose":
		if cfg.ExposedPorts == nil {
			cfg.ExposedPorts = map[string]struct{}{}
		}
		for _, p := range words(rest) {
			if !strings.Contains(p, "/") {
				p += "/tcp"
			}
			cfg.ExposedPorts[strings.ToLower(p)] = struct{}{}
		}
	case "volume":
		var vols []string
		if strings.HasPrefix(rest, "[") && json.Unmarshal([]byte(rest), &vols) == nil {
		} else {
			vols = words(rest)
		}
		if cfg.Volumes == nil {
			cfg.Volumes = map[string]struct{}{}
		}
		for _, v := range vols {
			if v = strings.TrimSpace(v); v == "" {
				return errdefs.InvalidParameter("VOLUME specified can not be an empty string")
			}
			cfg.Volumes[v] = struct{}{}
		}
	case "workdir":
		w := unquote(rest)
		if !path.IsAbs(w) {
			w = path.Join("/", cfg.WorkingDir, w)
		}
		cfg.WorkingDir = w
	case "user":
		cfg.User = unquote(rest)
	case "stopsignal":
		cfg.StopSignal = unquote(rest)
	case "onbuild":
		cfg.OnBuild = append(cfg.OnBuild, rest)
	case "healthcheck":
		kind, args, _ := strings.Cut(rest, " ")
		switch strings.ToUpper(kind) {
		case "NONE":
			cfg.Healthcheck = &dockerspec.HealthcheckConfig{Test: []string{"NONE"}}
		case "CMD":
			args = strings.TrimSpace(args)
			var test []string
			if strings.HasPrefix(args, "[") && json.Unmarshal([]byte(args), &test) == nil {
				test = append([]string{"CMD"}, test...)
			} else {
				test = []string{"CMD-SHELL", args}
			}
			cfg.Healthcheck = &dockerspec.HealthcheckConfig{Test: test}
		default:
			return errdefs.InvalidParameter("Unknown type %q in HEALTHCHECK (try CMD)", kind)
		}
	default:
		return errdefs.InvalidParameter("%s is not a valid change command", kw)
	}
	return nil
}

// words splits on white space, honouring quotes and backslashes.
func words(s string) []string {
	var out []string
	var cur strings.Builder
	in := false
	var quote rune
	esc := false
	for _, r := range s {
		switch {
		case esc:
			cur.WriteRune(r)
			esc, in = false, true
		case r == '\\' && quote != '\'':
			esc = true
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '"' || r == '\'':
			quote, in = r, true
		case r == ' ' || r == '\t':
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if in {
		out = append(out, cur.String())
	}
	return out
}

func unquote(s string) string {
	if w := words(s); len(w) == 1 {
		return w[0]
	}
	return s
}

// keyValues parses "k=v k2='v 2'" or the legacy "k v w" (one pair).
func keyValues(kw, rest string) ([][2]string, error) {
	ws := words(rest)
	if len(ws) == 0 {
		return nil, errdefs.InvalidParameter("%s requires at least one argument", kw)
	}
	if !strings.Contains(ws[0], "=") {
		k, v, _ := strings.Cut(rest, " ")
		v = strings.TrimSpace(v)
		if v == "" && kw == "ENV" {
			return nil, errdefs.InvalidParameter("ENV must have two arguments")
		}
		return [][2]string{{k, unquote(v)}}, nil
	}
	var out [][2]string
	for _, w := range ws {
		k, v, ok := strings.Cut(w, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%s names can not be blank: %w", kw, errdefs.ErrInvalidParameter)
		}
		out = append(out, [2]string{k, v})
	}
	return out, nil
}

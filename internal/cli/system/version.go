package system

import (
	"context"
	"fmt"
	"runtime"
	"text/tabwriter"
	"text/template"
	"time"

	"github.com/moby/moby/api/types/system"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
	"github.com/tug-project/tug/internal/cli/command"
	"github.com/tug-project/tug/internal/cli/format"
)

const versionTemplate = `{{with .Client -}}
Client:
 Version:	{{.Version}}
 API version:	{{.APIVersion}}{{if ne .APIVersion .DefaultAPIVersion}} (downgraded from {{.DefaultAPIVersion}}){{end}}
 Go version:	{{.GoVersion}}
 Git commit:	{{.GitCommit}}
 Built:	{{.BuildTime}}
 OS/Arch:	{{.Os}}/{{.Arch}}
 Context:	{{.Context}}
{{- end}}

{{- if .ServerOK}}{{with .Server}}

Server:{{if ne .Platform.Name ""}} {{.Platform.Name}}{{end}}
 {{- range $component := .Components}}
 {{$component.Name}}:
  {{- if eq $component.Name "Engine" }}
  Version:	{{.Version}}
  API version:	{{index .Details "ApiVersion"}} (minimum version {{index .Details "MinAPIVersion"}})
  Go version:	{{index .Details "GoVersion"}}
  Git commit:	{{index .Details "GitCommit"}}
  Built:	{{index .Details "BuildTime"}}
  OS/Arch:	{{index .Details "Os"}}/{{index .Details "Arch"}}
  Experimental:	{{index .Details "Experimental"}}
  {{- else }}
  Version:	{{$component.Version}}
  {{- range $key, $value := .Details}}
  {{$key}}:	{{$value}}
  {{- end}}
  {{- end}}
 {{- end}}
{{- end}}{{- end}}
`

// ClientVersion is the Client section of `tug version`.
type ClientVersion struct {
	Version           string
	APIVersion        string `json:"ApiVersion"`
	DefaultAPIVersion string `json:"DefaultAPIVersion,omitempty"`
	GitCommit         string
	GoVersion         string
	Os                string
	Arch              string
	BuildTime         string `json:",omitempty"`
	Context           string
}

// VersionInfo is what `tug version --format` templates see.
type VersionInfo struct {
	Client ClientVersion
	Server *client.ServerVersionResult
}

// ServerOK reports whether the daemon answered.
func (v VersionInfo) ServerOK() bool { return v.Server != nil }

func newVersionCommand(c *command.Cli) *cobra.Command {
	var fmtStr string
	cmd := &cobra.Command{
		Use:   "version [OPTIONS]",
		Short: "Show the tug version information",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVersion(cmd.Context(), c, fmtStr)
		},
		Annotations: map[string]string{"category-top": "10"},
	}
	cmd.Flags().StringVarP(&fmtStr, "format", "f", "", format.InspectFormatHelp)
	return cmd
}

func runVersion(ctx context.Context, c *command.Cli, fmtStr string) error {
	var tmpl *template.Template
	var err error
	switch fmtStr {
	case "":
		tmpl, err = format.Parse(versionTemplate)
	case format.JSONFormatKey:
		tmpl, err = format.Parse(format.JSONFormat + "\n")
	default:
		tmpl, err = format.Parse(fmtStr + "\n")
	}
	if err != nil {
		return command.StatusError{StatusCode: 64, Status: "template parsing error: " + err.Error()}
	}
	info := VersionInfo{Client: ClientVersion{
		Version:           command.Version,
		DefaultAPIVersion: client.MaxAPIVersion,
		GoVersion:         runtime.Version(),
		GitCommit:         command.GitCommit,
		Os:                runtime.GOOS,
		Arch:              runtime.GOARCH,
		BuildTime:         buildTime(),
		Context:           "default",
	}}
	cl := c.Client()
	sv, serr := cl.ServerVersion(ctx, client.ServerVersionOptions{})
	info.Client.APIVersion = cl.ClientVersion()
	if serr == nil {
		if len(sv.Components) == 0 {
			sv.Components = []system.ComponentVersion{{
				Name:    "Engine",
				Version: sv.Version,
				Details: map[string]string{
					"ApiVersion":    sv.APIVersion,
					"MinAPIVersion": sv.MinAPIVersion,
					"Os":            sv.Os,
					"Arch":          sv.Arch,
					"Experimental":  fmt.Sprint(sv.Experimental),
				},
			}}
		}
		for i, comp := range sv.Components {
			if t, err := time.Parse(time.RFC3339Nano, comp.Details["BuildTime"]); err == nil {
				sv.Components[i].Details["BuildTime"] = t.Format(time.ANSIC)
			}
		}
		info.Server = &sv
	}
	tw := tabwriter.NewWriter(c.Out(), 20, 1, 1, ' ', 0)
	if err := tmpl.Execute(tw, info); err != nil && serr == nil {
		return fmt.Errorf("template: %w", err)
	}
	_ = tw.Flush()
	if serr != nil {
		fmt.Fprintln(c.Out())
		return serr
	}
	return nil
}

// BuildTime is stamped by the linker (RFC 3339) in release builds.
var BuildTime = ""

func buildTime() string {
	if BuildTime == "" {
		return ""
	}
	t, err := time.Parse(time.RFC3339Nano, BuildTime)
	if err != nil {
		return BuildTime
	}
	return t.Format(time.ANSIC)
}

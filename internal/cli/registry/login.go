package registry

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/docker/cli/cli/config/types"
	"github.com/moby/moby/client"
	"github.com/moby/term"
	"github.com/spf13/cobra"

	"github.com/tug-project/tug/internal/cli/command"
)

// Commands returns login and logout.
func Commands(c *command.Cli) []*cobra.Command {
	return []*cobra.Command{newLoginCommand(c), newLogoutCommand(c)}
}

// serverKey is the config.json key for a server argument.
func serverKey(arg string) string {
	switch strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(arg, "https://"), "http://"), "/") {
	case "", "docker.io", "index.docker.io", "index.docker.io/v1", "registry-1.docker.io":
		return command.IndexServer
	}
	return strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(arg, "https://"), "http://"), "/")
}

func newLoginCommand(c *command.Cli) *cobra.Command {
	var user, password string
	var passwordStdin bool
	cmd := &cobra.Command{
		Use:   "login [OPTIONS] [SERVER]",
		Short: "Authenticate to a registry",
		Long:  "Authenticate to a registry.\nDefaults to Docker Hub if no server is specified.",
		Args:  command.RequiresMaxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			server := command.IndexServer
			if len(args) > 0 {
				server = serverKey(args[0])
			}
			if password != "" {
				fmt.Fprintln(c.Err(), "WARNING! Using --password via the CLI is insecure. Use --password-stdin.")
				if passwordStdin {
					return errors.New("--password and --password-stdin are mutually exclusive")
				}
			}
			if passwordStdin {
				if user == "" {
					return errors.New("Must provide --username with --password-stdin")
				}
				b, err := io.ReadAll(c.In())
				if err != nil {
					return err
				}
				password = strings.TrimRight(string(b), "\r\n")
			}
			cf := command.ConfigFile(c.Err())
			stored, _ := cf.GetAuthConfig(server)
			in := bufio.NewReader(c.In())
			if user == "" {
				prompt := "Username: "
				if stored.Username != "" {
					prompt = fmt.Sprintf("Username (%s): ", stored.Username)
				}
				fmt.Fprint(c.Out(), prompt)
				line, _ := in.ReadString('\n')
				if user = strings.TrimSpace(line); user == "" {
					user = stored.Username
				}
				if user == "" {
					return errors.New("Error: Non-null Username Required")
				}
			}
			if password == "" {
				fmt.Fprint(c.Out(), "Password: ")
				fd := c.In().FD()
				if c.In().IsTerminal() {
					state, err := term.SaveState(fd)
					if err == nil {
						_ = term.DisableEcho(fd, state)
						defer term.RestoreTerminal(fd, state)
					}
				}
				line, _ := in.ReadString('\n')
				fmt.Fprintln(c.Out())
				password = strings.TrimRight(line, "\r\n")
				if password == "" {
					return errors.New("Error: Password Required")
				}
			}
			res, err := c.Client().RegistryLogin(cmd.Context(), client.RegistryLoginOptions{Username: user, Password: password, ServerAddress: server})
			if err != nil {
				return err
			}
			ac := types.AuthConfig{Username: user, Password: password, ServerAddress: server}
			if res.Auth.IdentityToken != "" {
				ac.Password, ac.IdentityToken = "", res.Auth.IdentityToken
			}
			store := cf.GetCredentialsStore(server)
			if err := store.Store(ac); err != nil {
				return fmt.Errorf("Error saving credentials: %w", err)
			}
			if cf.CredentialsStore == "" && cf.CredentialHelpers[server] == "" {
				fmt.Fprintf(c.Err(), "WARNING! Your password will be stored unencrypted in %s.\n", cf.Filename)
			}
			status := res.Auth.Status
			if status == "" {
				status = "Login Succeeded"
			}
			fmt.Fprintln(c.Out(), status)
			return nil
		},
		Annotations: map[string]string{"category-top": "8"},
	}
	flags := cmd.Flags()
	flags.StringVarP(&user, "username", "u", "", "Username")
	flags.StringVarP(&password, "password", "p", "", "Password or Personal Access Token (PAT)")
	flags.BoolVar(&passwordStdin, "password-stdin", false, "Take the Password or Personal Access Token (PAT) from stdin")
	return cmd
}

func newLogoutCommand(c *command.Cli) *cobra.Command {
	return &cobra.Command{
		Use:   "logout [SERVER]",
		Short: "Log out from a registry",
		Long:  "Log out from a registry.\nIf no server is specified, the default is defined by the daemon.",
		Args:  command.RequiresMaxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			server := command.IndexServer
			if len(args) > 0 {
				server = serverKey(args[0])
			}
			cf := command.ConfigFile(c.Err())
			if _, ok := cf.AuthConfigs[server]; !ok && cf.CredentialsStore == "" && cf.CredentialHelpers[server] == "" {
				fmt.Fprintf(c.Out(), "Not logged in to %s\n", server)
				return nil
			}
			fmt.Fprintf(c.Out(), "Removing login credentials for %s\n", server)
			if err := cf.GetCredentialsStore(server).Erase(server); err != nil {
				fmt.Fprintf(c.Err(), "WARNING: could not erase credentials: %s: %v\n", server, err)
			}
			return nil
		},
		Annotations: map[string]string{"category-top": "9"},
	}
}

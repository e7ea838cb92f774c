package command

import (
	"context"
	"io"

	"github.com/moby/moby/client"
	"github.com/moby/moby/client/pkg/jsonmessage"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// PullImage pulls ref (POST /images/create) and renders the progress
// stream on out like docker (a live display when out is a terminal).
func PullImage(ctx context.Context, c *Cli, ref string, platform *ocispec.Platform, all bool, out io.Writer) error {
	opts := client.ImagePullOptions{All: all, RegistryAuth: RegistryAuth(c, ref)}
	if platform != nil {
		opts.Platforms = []ocispec.Platform{*platform}
	}
	resp, err := c.Client().ImagePull(ctx, ref, opts)
	if err != nil {
		return err
	}
	defer resp.Close()
	return DisplayJSONMessages(resp, out)
}

// DisplayJSONMessages renders a daemon progress stream (pull, load,
// import) on out, returning the first error message in it.
func DisplayJSONMessages(r io.Reader, out io.Writer) error {
	fd, isTerm := uintptr(0), false
	if o, ok := out.(*OutStream); ok {
		fd, isTerm = o.FD(), o.IsTerminal()
	}
	return jsonmessage.DisplayJSONMessagesStream(r, out, fd, isTerm, nil)
}

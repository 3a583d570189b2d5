package commands

// The one link between the CLI and the built-in backend: `convex
// local-backend` hands its arguments to backend/server unparsed.

import (
	"context"
	"io"

	"github.com/convex-go/convex/backend/server"
	"github.com/convex-go/convex/ui"
)

func runLocalBackend(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if code := server.RunCommand(ctx, args, stdout, stderr); code != 0 {
		// The backend has already said what went wrong on stderr.
		return &ui.Error{Code: code}
	}
	return nil
}

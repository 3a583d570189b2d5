package commands

// WIRING PENDING: this file is the only link between the CLI and the
// built-in backend. Package github.com/convex-go/convex/backend/server does
// not exist yet; once it does, replace the body below with
//
//	return server.RunCommand(ctx, args, stdout, stderr)

import (
	"context"
	"io"

	"github.com/convex-go/convex/ui"
)

func runLocalBackend(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return ui.Errorf("local-backend: not implemented yet").
		WithHint("The built-in backend is not part of this build yet.")
}

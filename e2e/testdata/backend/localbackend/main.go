// Command localbackend runs the built-in backend standalone, as
// `convex local-backend` does; the end-to-end tests build it to kill it.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/convex-go/convex/backend/server"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(server.RunCommand(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// Command convex is the Convex command line in one binary.
package main

import (
	"os"

	"github.com/convex-go/convex/commands"
)

func main() {
	os.Exit(commands.Main())
}

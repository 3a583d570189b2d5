// Package warm pins the project's third-party dependencies in go.mod until
// the packages that use them exist. Delete it once every import is real.
package warm

import (
	_ "github.com/adrg/xdg"
	_ "github.com/andybalholm/brotli"
	_ "github.com/charmbracelet/huh"
	_ "github.com/coder/websocket"
	_ "github.com/creack/pty"
	_ "github.com/dop251/goja"
	_ "github.com/evanw/esbuild/pkg/api"
	_ "github.com/fsnotify/fsnotify"
	_ "github.com/go-resty/resty/v2"
	_ "github.com/joho/godotenv"
	_ "github.com/rogpeppe/go-internal/testscript"
	_ "github.com/tink-crypto/tink-go/v2/aead/subtle"
	_ "github.com/urfave/cli/v2"
	_ "golang.org/x/term"
	_ "modernc.org/sqlite"
)

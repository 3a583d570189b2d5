package server

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/convex-go/convex/backend/adminkey"
)

// DefaultInstanceName is the reference backend's development default.
const DefaultInstanceName = "carnitas"

// ignoredFlags are accepted for compatibility with convex-local-backend and
// have no effect here; takesValue says whether the flag takes an argument.
var ignoredFlags = [...]struct {
	name       string
	takesValue bool
}{
	{"convex-http-proxy", true},
	{"s3-storage", false},
	{"do-not-require-ssl", false},
	{"disable-beacon", false},
	{"beacon-tag", true},
	{"beacon-fields", true},
	{"sentry-identifier", true},
	{"redact-logs-to-client", false},
	{"local-log-sink", true},
	{"control-plane-url", true},
	{"control-plane-access-token", true},
}

// RunCommand is `convex local-backend [flags] <db-path>` and
// `convex local-backend keygen admin-key --instance-name N --instance-secret S`.
// It returns the process exit code.
func RunCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "keygen" {
		return keygen(args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("local-backend", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg Config
	port := fs.Int("port", 3210, "API port")
	fs.IntVar(port, "p", 3210, "API port (shorthand)")
	sitePort := fs.Int("site-proxy-port", 3211, "HTTP actions port")
	iface := fs.String("interface", "0.0.0.0", "bind address")
	fs.StringVar(iface, "i", "0.0.0.0", "bind address (shorthand)")
	fs.StringVar(&cfg.InstanceName, "instance-name", DefaultInstanceName, "instance name (requires --instance-secret)")
	fs.StringVar(&cfg.InstanceSecret, "instance-secret", "", "instance secret, 64 hex characters")
	fs.StringVar(&cfg.StorageDir, "local-storage", "convex_local_storage", "file storage directory")
	fs.StringVar(&cfg.ConvexOrigin, "convex-origin", "", "public URL of the API (requires --convex-site)")
	fs.StringVar(&cfg.ConvexSite, "convex-site", "", "public URL of HTTP actions (requires --convex-origin)")
	// The reference backend can also use Postgres or MySQL; this one has
	// SQLite only, so any other value is refused rather than ignored.
	db := fs.String("db", "sqlite", "database `kind`: only sqlite is accepted; any other value (postgres, mysql) exits with status 2")
	ignored := map[string]*string{}
	for _, f := range ignoredFlags {
		name := f.name
		if f.takesValue {
			ignored[name] = fs.String(name, "", "accepted for compatibility; ignored")
		} else {
			ignored[name] = new(string)
			fs.BoolFunc(name, "accepted for compatibility; ignored", func(string) error { *ignored[name] = "set"; return nil })
		}
	}
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: local-backend [flags] <db-path>\n       local-backend keygen admin-key --instance-name N --instance-secret S\n\nRuns a Convex-compatible local deployment.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 1 {
		fmt.Fprintf(stderr, "error: expected one database path, got %d arguments\n", fs.NArg())
		return 2
	}
	cfg.DBPath = "convex_local_backend.sqlite3"
	if fs.NArg() == 1 {
		cfg.DBPath = fs.Arg(0)
	}
	if (cfg.ConvexOrigin == "") != (cfg.ConvexSite == "") {
		fmt.Fprintln(stderr, "error: --convex-origin and --convex-site must be given together")
		return 2
	}
	if cfg.InstanceSecret == "" {
		fmt.Fprintln(stderr, "error: --instance-secret is required (64 hex characters; generate one with `openssl rand -hex 32`)")
		return 2
	}
	if *db != "sqlite" {
		fmt.Fprintf(stderr, "error: --db %s is not supported; this backend stores data in SQLite only\n", *db)
		return 2
	}
	for name, v := range ignored {
		if *v != "" {
			fmt.Fprintf(stderr, "note: --%s is accepted for compatibility and ignored\n", name)
		}
	}
	cfg.Port, cfg.SitePort, cfg.Interface = *port, *sitePort, *iface
	cfg.Log = stderr
	TuneForServing()
	r, err := Start(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "Convex backend %q listening: API %s, HTTP actions %s, data in %s\n",
		cfg.InstanceName, r.CloudURL, r.SiteURL, DataDir(cfg.DBPath))
	select {
	case <-ctx.Done():
		r.Close()
		return 130
	case <-r.Done():
		return 0
	}
}

func keygen(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "admin-key" {
		fmt.Fprintln(stderr, "Usage: local-backend keygen admin-key --instance-name N --instance-secret S")
		return 2
	}
	fs := flag.NewFlagSet("keygen admin-key", flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("instance-name", "", "instance name")
	secret := fs.String("instance-secret", "", "instance secret, 64 hex characters")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *name == "" || *secret == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "error: keygen admin-key needs --instance-name and --instance-secret and no other arguments")
		return 2
	}
	s, err := adminkey.ParseSecret(*secret)
	if err != nil {
		fmt.Fprintf(stderr, "error: --instance-secret: %v\n", err)
		return 2
	}
	key, err := adminkey.Mint(strings.TrimSpace(*name), s)
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, key)
	return 0
}

// TuneForServing sets process-wide settings for a process whose job is to
// serve a backend (the standalone command, the backend benchmark): it trades
// memory for less garbage collection, which is a fifth of the CPU under a
// busy mutation load. Only when GOGC is not set, so an operator's choice wins.
func TuneForServing() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
}

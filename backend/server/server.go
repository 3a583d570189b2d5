// Package server runs the built-in backend as a process: the standalone
// `convex local-backend` command (flags of the reference
// convex-local-backend) and Start for in-process use by the CLI and tests.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/convex-go/convex/backend/adminkey"
	"github.com/convex-go/convex/backend/api"
	"github.com/convex-go/convex/backend/store"
)

// Config describes one deployment to serve.
type Config struct {
	// DBPath is where the data lives. The reference backend takes a SQLite
	// file path; this backend keeps a directory, so a path ending in
	// ".sqlite3" is turned into "<path>.d" next to it (the reference file
	// is never opened).
	DBPath string
	// StorageDir is --local-storage; informational (files live in the store).
	StorageDir string
	// Interface is the bind address (default 127.0.0.1).
	Interface string
	// Port and SitePort: 0 picks a free port.
	Port, SitePort int
	// InstanceName and InstanceSecret (64 hex chars) are required.
	InstanceName, InstanceSecret string
	// ConvexOrigin and ConvexSite override the public URLs.
	ConvexOrigin, ConvexSite string
	// Log receives diagnostics; nil discards them.
	Log io.Writer
}

// Running is a started backend.
type Running struct {
	CloudURL string // http://<host>:<port>
	SiteURL  string // http://<host>:<site port>
	Port     int
	SitePort int
	// AdminKey is a freshly minted admin key for this instance.
	AdminKey string

	api       *api.Server
	store     *store.Store
	servers   []*http.Server
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
	done      chan struct{}
}

// API is the running API server (for Call and SetHooks).
func (r *Running) API() *api.Server { return r.api }

// Done is closed when the backend has shut down.
func (r *Running) Done() <-chan struct{} { return r.done }

// DataDir maps the reference backend's db path to this backend's directory.
func DataDir(dbPath string) string {
	if strings.HasSuffix(dbPath, ".sqlite3") || strings.HasSuffix(dbPath, ".sqlite") {
		return dbPath + ".d"
	}
	return dbPath
}

// Start opens the store, binds both ports and serves until ctx ends or
// Close is called. It returns once /instance_name answers.
func Start(ctx context.Context, cfg Config) (*Running, error) {
	if cfg.InstanceName == "" {
		return nil, errors.New("an instance name is required (--instance-name)")
	}
	secret, err := adminkey.ParseSecret(cfg.InstanceSecret)
	if err != nil {
		return nil, fmt.Errorf("--instance-secret: %w", err)
	}
	if cfg.DBPath == "" {
		return nil, errors.New("a database path is required")
	}
	host := cfg.Interface
	if host == "" {
		host = "127.0.0.1"
	}
	cloudLn, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(cfg.Port)))
	if err != nil {
		return nil, fmt.Errorf("listening on port %d: %w", cfg.Port, err)
	}
	siteLn, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(cfg.SitePort)))
	if err != nil {
		cloudLn.Close()
		return nil, fmt.Errorf("listening on site port %d: %w", cfg.SitePort, err)
	}
	r := &Running{
		Port:     cloudLn.Addr().(*net.TCPAddr).Port,
		SitePort: siteLn.Addr().(*net.TCPAddr).Port,
		done:     make(chan struct{}),
	}
	urlHost := host
	if urlHost == "0.0.0.0" || urlHost == "::" || urlHost == "" {
		urlHost = "127.0.0.1"
	}
	r.CloudURL = "http://" + net.JoinHostPort(urlHost, strconv.Itoa(r.Port))
	r.SiteURL = "http://" + net.JoinHostPort(urlHost, strconv.Itoa(r.SitePort))
	if cfg.ConvexOrigin != "" {
		r.CloudURL = strings.TrimRight(cfg.ConvexOrigin, "/")
	}
	if cfg.ConvexSite != "" {
		r.SiteURL = strings.TrimRight(cfg.ConvexSite, "/")
	}
	fail := func(err error) (*Running, error) {
		cloudLn.Close()
		siteLn.Close()
		if r.store != nil {
			r.store.Close()
		}
		return nil, err
	}
	dir := DataDir(cfg.DBPath)
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fail(fmt.Errorf("creating %s: %w", filepath.Dir(dir), err))
	}
	st, err := store.Open(dir)
	if err != nil {
		return fail(fmt.Errorf("opening the database at %s: %w", dir, err))
	}
	r.store = st
	st.SetOrigin(r.CloudURL)
	a, err := api.New(api.Config{
		InstanceName: cfg.InstanceName, Secret: secret, Store: st,
		CloudURL: r.CloudURL, SiteURL: r.SiteURL, Log: cfg.Log,
	})
	if err != nil {
		return fail(err)
	}
	r.api = a
	if r.AdminKey, err = adminkey.Mint(cfg.InstanceName, secret); err != nil {
		return fail(err)
	}
	a.Start(context.Background())
	for _, pair := range []struct {
		ln net.Listener
		h  http.Handler
	}{{cloudLn, a.Handler()}, {siteLn, a.SiteHandler()}} {
		srv := &http.Server{Handler: pair.h, ReadHeaderTimeout: 30 * time.Second}
		r.servers = append(r.servers, srv)
		r.wg.Add(1)
		go func(ln net.Listener) {
			defer r.wg.Done()
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) && cfg.Log != nil {
				fmt.Fprintf(cfg.Log, "server on %s stopped: %v\n", ln.Addr(), err)
			}
		}(pair.ln)
	}
	go func() {
		select {
		case <-ctx.Done():
			r.Close()
		case <-r.done:
		}
	}()
	if err := waitReady(ctx, cfg.InstanceName, cloudLn.Addr().String()); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// waitReady polls /instance_name on the bound address until it answers.
func waitReady(ctx context.Context, name, addr string) error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := client.Get("http://" + addr + "/instance_name")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && string(b) == name {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("backend did not become ready: %v", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Close shuts the servers down (in-flight requests get a short grace
// period), stops the scheduler and closes the store.
func (r *Running) Close() error {
	r.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		for _, s := range r.servers {
			if err := s.Shutdown(ctx); err != nil {
				s.Close()
			}
		}
		r.wg.Wait()
		if r.api != nil {
			r.api.Close()
		}
		if r.store != nil {
			r.closeErr = r.store.Close()
		}
		close(r.done)
	})
	return r.closeErr
}

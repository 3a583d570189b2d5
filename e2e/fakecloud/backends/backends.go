// Package backends runs real built-in backends as the deployments of a fake
// cloud. It is apart from package fakecloud so that tests using only the
// fake management API do not build the whole backend.
package backends

import (
	"context"
	"path/filepath"
	"sync"

	"github.com/convex-go/convex/backend/adminkey"
	"github.com/convex-go/convex/backend/server"
)

// Backends starts real built-in backends as a fake cloud's deployments:
// pass Start as fakecloud.Options.StartDeployment and call Close when done. Each
// deployment keeps its data under dir/<name>.
type Backends struct {
	dir string

	mu      sync.Mutex
	running []*server.Running
}

// New prepares backends storing their data under dir.
func New(dir string) *Backends { return &Backends{dir: dir} }

// Start launches a backend for the deployment name on free loopback ports
// and returns its URL and an admin key it accepts.
func (b *Backends) Start(name string) (url, adminKey string, err error) {
	secret, err := adminkey.NewSecret()
	if err != nil {
		return "", "", err
	}
	r, err := server.Start(context.Background(), server.Config{
		DBPath:         filepath.Join(b.dir, name, "convex_local_backend.sqlite3"),
		StorageDir:     filepath.Join(b.dir, name, "convex_local_storage"),
		Interface:      "127.0.0.1",
		InstanceName:   name,
		InstanceSecret: secret,
	})
	if err != nil {
		return "", "", err
	}
	b.mu.Lock()
	b.running = append(b.running, r)
	b.mu.Unlock()
	return r.CloudURL, r.AdminKey, nil
}

// Close stops every backend started.
func (b *Backends) Close() {
	b.mu.Lock()
	rs := b.running
	b.running = nil
	b.mu.Unlock()
	for _, r := range rs {
		_ = r.Close()
	}
}

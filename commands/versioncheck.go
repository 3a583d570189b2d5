package commands

import (
	"context"
	"sync"
	"time"

	"github.com/convex-go/convex/aifiles"
	"github.com/convex-go/convex/deployments"
)

// versionCheckGrace is how long a command that is done with its own work
// still waits for the version check before giving up on it.
const versionCheckGrace = time.Second

// defaultVersionAPIOrigin is where the version check goes when
// CONVEX_VERSION_API_ORIGIN is not set. It is never changed by the program;
// the package's tests point it at a closed local port so that no test
// reaches the real service.
var defaultVersionAPIOrigin = aifiles.DefaultOrigin

// versionCheck is the background check dev, deploy and init run against the
// version API (spec cli §12.1): Convex's message for users of this CLI
// version, then whether the project's AI files are missing or out of date.
// It only ever prints; it never fails the command.
type versionCheck struct {
	d      *Deps
	cancel context.CancelFunc
	done   chan struct{}

	mu        sync.Mutex
	abandoned bool // the command stopped waiting: print nothing more
}

// hasDeploymentFields reports whether t is a deployment Convex knows by
// name (cloud, local or anonymous), as opposed to one reached only by URL
// (self-hosted, --url): the npm CLI runs its version check only for those.
func hasDeploymentFields(t deployments.Target) bool {
	switch t.Kind {
	case deployments.KindSelfHosted, deployments.KindURL, deployments.KindChooseProject, "":
		return false
	}
	return true
}

// startVersionCheck starts the check in the background and returns at
// once. Messages are printed as soon as they arrive; the command calls
// wait (when it finished its work) or stop (when it failed) at the end.
func (d *Deps) startVersionCheck(ctx context.Context) *versionCheck {
	ctx, cancel := context.WithCancel(ctx)
	v := &versionCheck{d: d, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(v.done)
		v.run(ctx)
	}()
	return v
}

func (v *versionCheck) run(ctx context.Context) {
	d := v.d
	origin := d.Env.Get(aifiles.OriginEnv)
	if origin == "" {
		origin = defaultVersionAPIOrigin
	}
	info, err := d.versionAPI(origin).Version(ctx)
	if err != nil {
		v.logf("version check skipped: %v", err)
		return
	}
	if info.Message != nil && *info.Message != "" {
		v.print(func() { d.Out.Message("%s", *info.Message) })
	}
	hint, err := d.aiFilesStaleness(info)
	if err != nil {
		v.logf("AI files check skipped: %v", err)
		return
	}
	if hint != "" {
		v.print(func() { d.Out.Warn("%s", hint) })
	}
}

// aiFilesStaleness is the line saying the project's AI files are missing or
// out of date compared with info, "" when there is nothing to say or they
// are disabled in convex.json.
func (d *Deps) aiFilesStaleness(info aifiles.VersionInfo) (string, error) {
	m, _, err := d.projectAIFiles()
	if err != nil {
		return "", err
	}
	return m.Staleness(info), nil
}

// print runs p unless the command has stopped waiting for the check, so
// nothing appears after the command's last line.
func (v *versionCheck) print(p func()) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.abandoned {
		p()
	}
}

func (v *versionCheck) logf(format string, args ...any) {
	v.print(func() { v.d.Log.Printf(format, args...) })
}

// wait lets the check finish, for at most versionCheckGrace, then gives up
// on it silently (a verbose line says so). A nil check is fine.
func (v *versionCheck) wait() {
	if v == nil {
		return
	}
	timer := time.NewTimer(versionCheckGrace)
	defer timer.Stop()
	select {
	case <-v.done:
	case <-timer.C:
		v.logf("version check skipped: no answer within %s", versionCheckGrace)
	}
	v.stop()
}

// stop gives up on the check without waiting. Calling it again, or after
// wait, does nothing. A nil check is fine.
func (v *versionCheck) stop() {
	if v == nil {
		return
	}
	v.mu.Lock()
	v.abandoned = true
	v.mu.Unlock()
	v.cancel()
}

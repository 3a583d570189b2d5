package commands

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/convex-go/convex/deployments"
	"github.com/convex-go/convex/subscribe"
	"github.com/convex-go/convex/ui"
)

// runWatch subscribes to a query and prints every new result until Ctrl-C,
// which ends the watch normally (exit 0).
func (d *Deps) runWatch(ctx context.Context, t deployments.Target, name, argsText, identityText, component string) error {
	path, argsJSON, identity, err := d.parseRunCall(name, argsText, identityText)
	if err != nil {
		return err
	}

	ctx, stop := watchInterrupts(ctx)
	defer stop()
	d.Out.Success("Watching query %s on %s...", name, t.URL)
	last := ""
	onValue := func(u subscribe.Update) error {
		for _, l := range u.LogLines {
			d.Out.Message("[CONVEX Q(%s)] %s", subscribe.CanonicalPath(path), l)
		}
		v := indentValue(u.Value)
		if v == last {
			return nil // the same result again after a reconnect
		}
		last = v
		d.Out.Result("%s", v)
		return nil
	}
	for attempt := 0; ; attempt++ {
		err := d.watchOnce(ctx, t, identity, path, json.RawMessage(argsJSON), component, onValue)
		var ce *subscribe.ClosedError
		var de *dialError
		if ctx.Err() == nil && (errors.As(err, &ce) || attempt > 0 && errors.As(err, &de)) {
			// A dropped connection is not the query's fault: connect again.
			delay := time.Duration(1<<min(attempt, 4)) * time.Second
			d.Out.Warn("Lost the connection to %s; reconnecting in %s...", t.URL, delay)
			select {
			case <-time.After(delay):
				continue
			case <-ctx.Done():
			}
		} else if err != nil {
			var qe *subscribe.QueryError
			if errors.As(err, &qe) {
				if _, denied := qe.PermissionDenied(); !denied {
					return ui.Errorf("Failed to run function %q:\n%s", name, strings.TrimSpace(qe.Message))
				}
			}
			return syncError(err, t)
		}
		break
	}
	d.Out.Message("Closing connection to %s...", t.URL)
	return nil
}

// watchOnce runs one connection of a watch.
func (d *Deps) watchOnce(ctx context.Context, t deployments.Target, identity json.RawMessage, path string, args json.RawMessage, component string, fn func(subscribe.Update) error) error {
	sc, err := subscribe.Dial(ctx, t.URL, subscribe.Options{
		AdminKey: t.AdminKey, Impersonating: identity, Version: deployments.ClientVersion(d.Env),
		HTTPClient: d.httpClient(), Logf: d.Log.Printf,
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return ui.Wrap(&dialError{err}, "Could not connect to the deployment at %s", t.URL).
			WithHint("Check the deployment URL and your network connection.")
	}
	defer sc.Close()
	return sc.Watch(ctx, path, args, component, fn)
}

// dialError marks a failure to (re)connect.
type dialError struct{ err error }

func (e *dialError) Error() string { return e.err.Error() }
func (e *dialError) Unwrap() error { return e.err }

// indentValue is a Convex-encoded result as two-space indented JSON.
func indentValue(v json.RawMessage) string {
	if len(v) == 0 {
		return "null"
	}
	decoded, err := subscribe.Decode(v)
	if err != nil {
		return string(v)
	}
	return subscribe.Encode(decoded, "  ")
}

// watchInterrupts returns a context that Ctrl-C cancels while the watch
// runs. The interrupt is taken from the process-wide handlers meanwhile,
// so it ends the watch (exit 0) instead of the whole command (exit 130).
func watchInterrupts(parent context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancel(parent)
	sigs := make(chan os.Signal, 1)
	signal.Ignore(os.Interrupt)
	signal.Notify(sigs, os.Interrupt)
	go func() {
		select {
		case <-sigs:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		cancel()
	}
}

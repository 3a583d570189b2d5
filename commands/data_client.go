package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/convex-go/convex/anonymous"
	"github.com/convex-go/convex/deployments"
	"github.com/convex-go/convex/subscribe"
	"github.com/convex-go/convex/ui"
)

// requireTarget selects the deployment for the commands that read or load
// data (data, import, export, function-spec, network-test). Unlike `run` or
// `env`, they never start a local deployment: it must already be running
// (a `convex dev` in another terminal).
func (d *Deps) requireTarget(c *cli.Context, command string) (deployments.Target, error) {
	t, err := d.SelectTarget(c, command)
	if err != nil {
		return t, err
	}
	switch t.Kind {
	case deployments.KindLocal, deployments.KindAnonymous:
		if t.Name == "" {
			return t, ui.Errorf("no local deployment is configured for this project").
				WithHint("Run `convex dev` first to create one.")
		}
		r, err := anonymous.RequireRunning(c.Context, d.Cwd, deployments.GlobalDir(d.Env), t.Name)
		if err != nil {
			return t, err
		}
		t.URL, t.AdminKey = r.URL, r.AdminKey
		d.Log.AddSecret(t.AdminKey)
	case deployments.KindChooseProject:
		return t, ui.Errorf("no deployment is configured for this project").
			WithHint("Run `convex dev` to set one up, or pass --url and --admin-key.")
	}
	if t.URL == "" {
		return t, ui.Errorf("no deployment URL for %s", t.Describe())
	}
	return t, nil
}

// openSync connects to the deployment's sync endpoint as its admin,
// optionally acting as identity (a user identity JSON object).
func (d *Deps) openSync(ctx context.Context, t deployments.Target, identity json.RawMessage) (*subscribe.Client, error) {
	sc, err := subscribe.Dial(ctx, t.URL, subscribe.Options{
		AdminKey:      t.AdminKey,
		Impersonating: identity,
		Version:       deployments.ClientVersion(d.Env),
		HTTPClient:    d.httpClient(),
		Logf:          d.Log.Printf,
	})
	if err != nil {
		return nil, ui.Wrap(err, "Could not connect to the deployment at %s", t.URL).
			WithHint("Check the deployment URL and your network connection.")
	}
	d.Log.Printf("connected to %s", sc.URL())
	return sc, nil
}

// syncError turns a sync-client failure into what the user reads.
func syncError(err error, t deployments.Target) error {
	if err == nil {
		return nil
	}
	var ue *ui.Error
	if errors.As(err, &ue) {
		return err
	}
	var qe *subscribe.QueryError
	if errors.As(err, &qe) {
		if msg, ok := qe.PermissionDenied(); ok {
			e := ui.Errorf("%s", msg)
			if t.DeployKeyVar != "" {
				e = e.WithHint("This is determined by the permissions granted to %s.", t.DeployKeyVar)
			}
			return e
		}
		return ui.Errorf("%s", qe.Error())
	}
	var ae *subscribe.AuthError
	if errors.As(err, &ae) {
		return ui.Errorf("The deployment at %s did not accept the admin key: %s", t.URL, ae.Message).
			WithHint("Check the admin key or deploy key in use.")
	}
	if errors.Is(err, context.Canceled) {
		return ui.Interrupted
	}
	return ui.Wrap(err, "Lost the connection to the deployment at %s", t.URL)
}

// systemQuery runs one query over sync and returns its Convex-encoded result.
func (d *Deps) systemQuery(ctx context.Context, sc *subscribe.Client, t deployments.Target, path string, args any, component string) (json.RawMessage, error) {
	u, err := sc.Query(ctx, path, args, component)
	if err != nil {
		return nil, syncError(err, t)
	}
	return u.Value, nil
}

// paginatedQuery runs a paginated system query until it is done or limit
// items (0 = no limit) were read, and returns the items.
func (d *Deps) paginatedQuery(ctx context.Context, sc *subscribe.Client, t deployments.Target, path string, args map[string]any, component string, limit int) ([]json.RawMessage, error) {
	var items []json.RawMessage
	var cursor any
	for limit == 0 || len(items) < limit {
		num := 10000
		if limit > 0 {
			num = limit - len(items)
		}
		a := map[string]any{}
		for k, v := range args {
			a[k] = v
		}
		a["paginationOpts"] = map[string]any{"cursor": cursor, "numItems": num}
		raw, err := d.systemQuery(ctx, sc, t, path, a, component)
		if err != nil {
			return nil, err
		}
		var page struct {
			Page           []json.RawMessage `json:"page"`
			IsDone         bool              `json:"isDone"`
			ContinueCursor *string           `json:"continueCursor"`
		}
		if err := json.Unmarshal(raw, &page); err != nil {
			return nil, ui.Errorf("Unexpected result from %s: %v", path, err)
		}
		items = append(items, page.Page...)
		if page.IsDone || page.ContinueCursor == nil {
			break
		}
		if len(page.Page) == 0 && cursor != nil && *page.ContinueCursor == fmt.Sprint(cursor) {
			break // no progress: do not loop forever on a misbehaving server
		}
		cursor = *page.ContinueCursor
	}
	return items, nil
}

package api

import (
	"strings"
	"testing"
)

// A push with child components is refused as a whole: nothing of it is
// deployed, and the message says what is unsupported and what to do.
func TestStartPushRefusesComponents(t *testing.T) {
	e := newTestEnv(t)
	mods := func() []map[string]any {
		return []map[string]any{{"path": "notes.js", "source": notesModule, "environment": "isolate"}}
	}
	withComponent := func() map[string]any {
		req := pushRequest(e.key, mods(), nil, nil)
		app := req["appDefinition"].(map[string]any)
		app["dependencies"] = []any{"../node_modules/@convex-dev/counter/dist/component"}
		req["componentDefinitions"] = []any{map[string]any{
			"definitionPath": "../node_modules/@convex-dev/counter/dist/component",
			"definition":     map[string]any{"path": "convex.config.js", "source": "export default {}", "environment": "isolate"},
			"dependencies":   []any{}, "schema": nil, "functions": []any{}, "udfServerVersion": "1.48.0",
		}}
		return req
	}
	for _, tc := range []struct {
		name string
		req  map[string]any
		want string
	}{
		{"definitions and dependencies", withComponent(), "1 component(s): ../node_modules/@convex-dev/counter/dist/component"},
		{"definitions only", func() map[string]any {
			r := withComponent()
			r["appDefinition"].(map[string]any)["dependencies"] = []any{}
			return r
		}(), "@convex-dev/counter"},
		{"dependencies only", func() map[string]any {
			r := withComponent()
			r["componentDefinitions"] = []any{}
			return r
		}(), "@convex-dev/counter"},
		{"unnamed definition", func() map[string]any {
			r := withComponent()
			r["appDefinition"].(map[string]any)["dependencies"] = []any{}
			r["componentDefinitions"] = []any{map[string]any{}}
			return r
		}(), "this app uses components."},
		{"dry run", func() map[string]any {
			r := withComponent()
			r["dryRun"] = true
			return r
		}(), "@convex-dev/counter"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body, raw := e.do("POST", "/api/deploy2/start_push", brotliJSON(t, tc.req), map[string]string{"Content-Encoding": "br"})
			msg, _ := body["message"].(string)
			if code != 400 || body["code"] != "InvalidConvexConfig" {
				t.Fatalf("start_push: %d %s", code, raw)
			}
			for _, want := range []string{tc.want, "does not support components yet", "remove the components", "convex/convex.config.ts", "Convex cloud"} {
				if !strings.Contains(msg, want) {
					t.Errorf("message lacks %q:\n%s", want, msg)
				}
			}
		})
	}

	// Nothing was deployed by the refused pushes; the same app without the
	// component pushes fine.
	_, hashes, _ := e.do("POST", "/api/get_config_hashes", map[string]any{"adminKey": e.key, "version": "1.48.0"}, nil)
	if mh, _ := hashes["moduleHashes"].([]any); len(mh) != 0 {
		t.Errorf("refused push left modules: %v", hashes)
	}
	e.push(pushRequest(e.key, mods(), nil, nil))
}

func TestStartPushComponentsNeedAdminKey(t *testing.T) {
	e := newTestEnv(t)
	req := pushRequest("bad-key", nil, nil, nil)
	req["componentDefinitions"] = []any{map[string]any{"definitionPath": "x"}}
	code, body, raw := e.do("POST", "/api/deploy2/start_push", brotliJSON(t, req), map[string]string{"Content-Encoding": "br"})
	if code == 200 || body["code"] == "InvalidConvexConfig" {
		t.Errorf("start_push with a bad key: %d %s", code, raw)
	}
}

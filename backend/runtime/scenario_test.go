package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/convex-go/convex/backend/values"
)

// scenarioStep is one step of the fixture's scenario.json.
type scenarioStep struct {
	Name    string            `json:"name"`
	Kind    string            `json:"kind"`
	Path    string            `json:"path"`
	Method  string            `json:"method"`
	Args    any               `json:"args"`
	Headers map[string]string `json:"headers"`
	Body    any               `json:"body"`
	Expect  struct {
		Status               string   `json:"status"`
		Value                any      `json:"value"`
		ValueMatches         any      `json:"valueMatches"`
		AbsentKeys           []string `json:"absentKeys"`
		ErrorData            any      `json:"errorData"`
		ErrorMessageContains string   `json:"errorMessageContains"`
		HTTPStatus           int      `json:"httpStatus"`
		JSON                 any      `json:"json"`
		JSONMatches          any      `json:"jsonMatches"`
	} `json:"expect"`
	Raw     map[string]json.RawMessage `json:"-"`
	Capture map[string]string          `json:"capture"`
	Retry   *struct {
		TimeoutMs int `json:"timeoutMs"`
	} `json:"retry"`
}

// TestChatScenario plays the fixture's scenario.json against the runtime
// and the real store, without the HTTP layer. Scheduled functions are run
// by hand (with the clock moved forward) when a step waits for them.
func TestChatScenario(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(fixtureDir, "scenario.json"))
	if err != nil {
		t.Skip("no scenario.json: ", err)
	}
	var sc struct {
		Env   map[string]string `json:"env"`
		Steps []json.RawMessage `json:"steps"`
	}
	if err := json.Unmarshal(raw, &sc); err != nil {
		t.Fatal(err)
	}
	d := newDeployment(t, Options{})
	d.env = sc.Env
	vars := map[string]any{}
	for i, rawStep := range sc.Steps {
		var st scenarioStep
		if err := json.Unmarshal(rawStep, &st); err != nil {
			t.Fatal(err)
		}
		_ = json.Unmarshal(rawStep, &st.Raw)
		var expect map[string]json.RawMessage
		_ = json.Unmarshal(st.Raw["expect"], &expect)
		name := fmt.Sprintf("step %d (%s %s %s)", i, st.Kind, st.Path, st.Name)
		if st.Retry != nil {
			d.runDueJobs(t, time.Now().Add(time.Hour))
		}
		if st.Kind == "http" {
			var body []byte
			if st.Body != nil {
				body, _ = json.Marshal(substitute(st.Body, vars))
			}
			req := httptest.NewRequest(st.Method, st.Path, bytes.NewReader(body))
			for k, v := range st.Headers {
				req.Header.Set(k, v)
			}
			resp, _, err := d.ms.RunHTTP(context.Background(), req, d, d.env)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if resp.Status != st.Expect.HTTPStatus {
				t.Fatalf("%s: status %d, want %d (%s)", name, resp.Status, st.Expect.HTTPStatus, resp.Body)
			}
			var got any
			if len(resp.Body) > 0 {
				if err := json.Unmarshal(resp.Body, &got); err != nil {
					t.Fatalf("%s: body %q is not JSON", name, resp.Body)
				}
			}
			if _, ok := expect["json"]; ok && !reflect.DeepEqual(got, substitute(st.Expect.JSON, vars)) {
				t.Fatalf("%s: json %v, want %v", name, got, st.Expect.JSON)
			}
			if st.Expect.JSONMatches != nil {
				if why := matches(got, substitute(st.Expect.JSONMatches, vars)); why != "" {
					t.Fatalf("%s: %s (got %v)", name, why, got)
				}
			}
			capture(t, st.Capture, map[string]any{"json": got}, vars)
			continue
		}
		args, _ := json.Marshal(substitute(st.Args, vars))
		res := d.run(st.Kind, st.Path, string(args), false)
		if st.Expect.Status == "error" {
			if res.Err == nil {
				t.Fatalf("%s: succeeded with %s, want an error", name, res.Value)
			}
			if st.Expect.ErrorMessageContains != "" && !strings.Contains(res.Err.Message, st.Expect.ErrorMessageContains) {
				t.Fatalf("%s: error %q does not contain %q", name, res.Err.Message, st.Expect.ErrorMessageContains)
			}
			if st.Expect.ErrorData != nil {
				got := cleanJSON(t, res.Err.Data)
				if !reflect.DeepEqual(got, st.Expect.ErrorData) {
					t.Fatalf("%s: errorData %v, want %v", name, got, st.Expect.ErrorData)
				}
			}
			continue
		}
		if res.Err != nil {
			t.Fatalf("%s: %s", name, res.Err.Message)
		}
		got := cleanJSON(t, res.Value)
		if _, ok := expect["value"]; ok && !reflect.DeepEqual(got, substitute(st.Expect.Value, vars)) {
			t.Fatalf("%s: value %v, want %v", name, got, st.Expect.Value)
		}
		if st.Expect.ValueMatches != nil {
			if why := matches(got, substitute(st.Expect.ValueMatches, vars)); why != "" {
				t.Fatalf("%s: %s (got %v)", name, why, got)
			}
		}
		if obj, ok := got.(map[string]any); ok {
			for _, k := range st.Expect.AbsentKeys {
				if _, present := obj[k]; present {
					t.Fatalf("%s: key %q should be absent in %v", name, k, obj)
				}
			}
		}
		capture(t, st.Capture, map[string]any{"value": got}, vars)
	}
}

// runDueJobs plays the scheduler: due jobs run as internal mutations.
func (d *deployment) runDueJobs(t *testing.T, now time.Time) {
	t.Helper()
	jobs, err := d.st.DueJobs(now, 100)
	if err != nil {
		t.Fatalf("DueJobs: %v", err)
	}
	for _, j := range jobs {
		res := d.run(KindMutation, j.Name, string(j.Args), true)
		state := "success"
		if res.Err != nil {
			state = "failed"
		}
		if err := d.st.SetJobState(j.ID, state); err != nil {
			t.Fatalf("SetJobState: %v", err)
		}
	}
}

func cleanJSON(t *testing.T, encoded []byte) any {
	t.Helper()
	v, err := values.Decode(encoded)
	if err != nil {
		t.Fatalf("decoding %s: %v", encoded, err)
	}
	b, _ := json.Marshal(values.ExportJSON(v))
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

func substitute(v any, vars map[string]any) any {
	switch x := v.(type) {
	case string:
		if r, ok := vars[x]; ok {
			return r
		}
		return x
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = substitute(x[i], vars)
		}
		return out
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = substitute(e, vars)
		}
		return out
	}
	return v
}

func capture(t *testing.T, spec map[string]string, root map[string]any, vars map[string]any) {
	t.Helper()
	for name, path := range spec {
		var cur any = root
		for _, part := range strings.Split(path, ".") {
			m, ok := cur.(map[string]any)
			if !ok {
				t.Fatalf("capture %s: %s is not an object", name, path)
			}
			cur = m[part]
		}
		vars[name] = cur
	}
}

// matches implements the scenario's loose matching; "" means it matches.
func matches(got, want any) string {
	switch w := want.(type) {
	case string:
		switch w {
		case "$any":
			return ""
		case "$string":
			if _, ok := got.(string); ok {
				return ""
			}
			return fmt.Sprintf("%v is not a string", got)
		case "$number":
			if _, ok := got.(float64); ok {
				return ""
			}
			return fmt.Sprintf("%v is not a number", got)
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return fmt.Sprintf("%v does not have %d elements", got, len(w))
		}
		for i := range w {
			if why := matches(g[i], w[i]); why != "" {
				return fmt.Sprintf("[%d]: %s", i, why)
			}
		}
		return ""
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Sprintf("%v is not an object", got)
		}
		for k, e := range w {
			if why := matches(g[k], e); why != "" {
				return fmt.Sprintf(".%s: %s", k, why)
			}
		}
		return ""
	}
	if !reflect.DeepEqual(got, want) {
		return fmt.Sprintf("%v != %v", got, want)
	}
	return ""
}

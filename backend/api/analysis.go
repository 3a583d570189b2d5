package api

import (
	"encoding/json"
	"sort"
)

// The JSON shapes of an analyzed module as start_push returns them and as
// the CLI's codegen reads them (deployApi/modules.ts).

type visibility struct {
	Kind string `json:"kind"`
}

type analyzedFunction struct {
	Name       string      `json:"name"`
	Pos        any         `json:"pos"`
	UdfType    string      `json:"udfType"` // Query | Mutation | Action
	Visibility *visibility `json:"visibility"`
	Args       *string     `json:"args"`
	Returns    *string     `json:"returns"`
}

type httpRouteJSON struct {
	Route struct {
		Path   string `json:"path"`
		Method string `json:"method"`
	} `json:"route"`
	Pos any `json:"pos"`
}

type cronSpecJSON struct {
	Identifier string   `json:"identifier"`
	Spec       cronSpec `json:"spec"`
}

// cronSpec is stored and echoed as {udfPath, udfArgs, cronSchedule}.
type cronSpec struct {
	UdfPath      string          `json:"udfPath"`
	UdfArgs      json.RawMessage `json:"udfArgs"` // encoded args object
	CronSchedule json.RawMessage `json:"cronSchedule"`
}

type analyzedModule struct {
	Functions    []analyzedFunction `json:"functions"`
	HTTPRoutes   []httpRouteJSON    `json:"httpRoutes"`
	CronSpecs    []cronSpecJSON     `json:"cronSpecs"`
	SourceMapped any                `json:"sourceMapped"`
}

// cronJob is a registered cron.
type cronJob struct {
	Name     string
	Path     string
	Args     json.RawMessage
	Schedule json.RawMessage
}

func cronsFrom(analysis map[string]analyzedModule) []cronJob {
	var out []cronJob
	for _, am := range analysis {
		for _, c := range am.CronSpecs {
			out = append(out, cronJob{Name: c.Identifier, Path: c.Spec.UdfPath, Args: c.Spec.UdfArgs, Schedule: c.Spec.CronSchedule})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func cronDiff(old, next []cronJob) map[string][]string {
	d := map[string][]string{"added": {}, "updated": {}, "deleted": {}}
	byName := map[string]cronJob{}
	for _, c := range old {
		byName[c.Name] = c
	}
	seen := map[string]bool{}
	for _, c := range next {
		seen[c.Name] = true
		o, ok := byName[c.Name]
		switch {
		case !ok:
			d["added"] = append(d["added"], c.Name)
		case o.Path != c.Path || string(o.Args) != string(c.Args) || string(o.Schedule) != string(c.Schedule):
			d["updated"] = append(d["updated"], c.Name)
		}
	}
	for _, c := range old {
		if !seen[c.Name] {
			d["deleted"] = append(d["deleted"], c.Name)
		}
	}
	return d
}

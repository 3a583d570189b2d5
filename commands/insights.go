package commands

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/convex-go/convex/deployments"
	"github.com/convex-go/convex/ui"
)

func newInsightsCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "insights",
		Usage: "Show health insights for your deployment",
		Description: "Show problems seen on a deployment in the last 72 hours: write conflicts between mutations (OCC) " +
			"and functions close to or over their resource limits.\n\n" +
			"• Summary: convex insights\n" +
			"• With recent events of each problem: convex insights --details\n" +
			"• For production: convex insights --prod\n\n" +
			"Works for Convex cloud deployments when you are logged in.",
		Flags: withFlags([]cli.Flag{
			boolFlag("details", "Also show recent events of each insight."),
			boolFlag("json", "Print JSON instead of a report."),
		}, selectionFlags("Show insights for", false)),
		Action: d.insights,
	}
}

// insightsQueryID names the dashboard's insights dataset in the usage API.
const insightsQueryID = "9ab3b74e-a725-480b-88a6-43e6bd70bd82"

// insightKinds in order of severity, most severe first.
var insightKinds = []struct{ kind, severity, label string }{
	{"documentsReadLimit", "error", "Documents Read Limit Exceeded"},
	{"bytesReadLimit", "error", "Bytes Read Limit Exceeded"},
	{"occFailedPermanently", "error", "OCC Failed Permanently"},
	{"documentsReadThreshold", "warning", "Documents Read Near Limit"},
	{"bytesReadThreshold", "warning", "Bytes Read Near Limit"},
	{"occRetried", "warning", "OCC Retried"},
}

// insight is one row of the report; the JSON form is what --json prints.
type insight struct {
	Kind          string            `json:"kind"`
	Severity      string            `json:"severity"`
	FunctionID    string            `json:"functionId"`
	ComponentPath *string           `json:"componentPath"`
	OccCalls      *float64          `json:"occCalls,omitempty"`
	OccTableName  string            `json:"occTableName,omitempty"`
	Count         *float64          `json:"count,omitempty"`
	RecentEvents  []json.RawMessage `json:"recentEvents,omitempty"`
	order         int
}

// parseInsightRow reads one [kind, functionId, componentPath, detailsJSON]
// row; unknown kinds are skipped.
func parseInsightRow(row []string, details bool) (*insight, error) {
	if len(row) < 4 {
		return nil, fmt.Errorf("an insights row has %d columns, want 4", len(row))
	}
	for i, k := range insightKinds {
		if k.kind != row[0] {
			continue
		}
		in := &insight{Kind: k.kind, Severity: k.severity, FunctionID: row[1], order: i}
		if row[2] != "-root-component-" {
			cp := row[2]
			in.ComponentPath = &cp
		}
		var det struct {
			OccCalls     *float64          `json:"occCalls"`
			OccTableName string            `json:"occTableName"`
			Count        *float64          `json:"count"`
			RecentEvents []json.RawMessage `json:"recentEvents"`
		}
		if err := json.Unmarshal([]byte(row[3]), &det); err != nil {
			return nil, fmt.Errorf("insight details of %s: %w", row[1], err)
		}
		if strings.HasPrefix(k.kind, "occ") {
			in.OccCalls, in.OccTableName = det.OccCalls, det.OccTableName
			if in.OccCalls == nil {
				in.OccCalls = new(float64)
			}
		} else {
			in.Count = det.Count
			if in.Count == nil {
				in.Count = new(float64)
			}
		}
		if details {
			in.RecentEvents = det.RecentEvents
			if len(in.RecentEvents) > 5 {
				in.RecentEvents = in.RecentEvents[:5]
			}
		}
		return in, nil
	}
	return nil, nil
}

func plural(n float64, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%v %ss", n, word)
}

func (d *Deps) insights(c *cli.Context) error {
	t, err := d.SelectTarget(c, "insights")
	if err != nil {
		return err
	}
	switch t.Kind {
	case deployments.KindLocal, deployments.KindAnonymous, deployments.KindSelfHosted, deployments.KindURL, deployments.KindChooseProject:
		return ui.Errorf("Insights are only available for Convex cloud deployments; %s has none.", t.Describe()).
			WithHint("Local and self-hosted deployments do not collect insights. Run `convex insights --prod` (or select a cloud deployment) to see a cloud deployment's.")
	}
	if t.Name == "" {
		return ui.Errorf("Insights are only available for Convex cloud deployments; the name of %s is not known.", t.Describe())
	}
	client, a, err := d.managementClient(c)
	if err != nil {
		return err
	}
	if a.Kind != "accessToken" {
		return ui.Errorf("Insights need you to be logged in as a user; deploy keys and project keys cannot read team usage data.").
			WithHint("Run `convex login`, then run this command without CONVEX_DEPLOY_KEY set.")
	}
	tp, err := client.TeamAndProject(c.Context, t.Name)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	q := url.Values{
		"queryId":        {insightsQueryID},
		"deploymentName": {t.Name},
		"from":           {now.Add(-72 * time.Hour).Format("2006-01-02")},
		"to":             {now.Format("2006-01-02")},
	}
	var rows [][]string
	u := client.Host() + fmt.Sprintf("/api/dashboard/teams/%d/usage/query?", tp.TeamID) + q.Encode()
	if err := client.Do(c.Context, http.MethodGet, u, nil, &rows); err != nil {
		return err
	}
	details := c.Bool("details")
	list := []*insight{}
	for _, row := range rows {
		in, err := parseInsightRow(row, details)
		if err != nil {
			return ui.Wrap(err, "Unexpected insights data")
		}
		if in != nil {
			list = append(list, in)
		}
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].order < list[j].order })
	dashboard := deployments.DashboardURL(d.Env, "", "", t.Name) + "?view=insights"

	if c.Bool("json") {
		b, err := json.Marshal(map[string]any{"deploymentName": t.Name, "dashboardUrl": dashboard, "insights": list})
		if err != nil {
			return ui.Wrap(err, "encoding insights")
		}
		var out bytes.Buffer
		json.Indent(&out, b, "", "  ")
		d.Out.Result("%s", out.String())
		return nil
	}
	if len(list) == 0 {
		d.Out.Result("%s", paintStdout(d, "No issues found. The deployment is healthy over the last 72 hours.", ui.Green))
	} else {
		errs, warns := countSeverities(list)
		var parts []string
		if errs > 0 {
			parts = append(parts, paintStdout(d, plural(float64(errs), "error"), ui.Red))
		}
		if warns > 0 {
			parts = append(parts, paintStdout(d, plural(float64(warns), "warning"), ui.Yellow))
		}
		d.Out.Result("Found %s in the last 72 hours:\n", strings.Join(parts, " and "))
		for _, in := range list {
			d.Out.Result("%s", d.formatInsight(in, details))
		}
	}
	d.Out.Result("\nDashboard: %s", dashboard)
	return nil
}

func (d *Deps) formatInsight(in *insight, details bool) string {
	sev := paintStdout(d, "[WARNING]", ui.Yellow)
	if in.Severity == "error" {
		sev = paintStdout(d, "[ERROR]", ui.Red)
	}
	label := in.Kind
	for _, k := range insightKinds {
		if k.kind == in.Kind {
			label = k.label
		}
	}
	fn := in.FunctionID
	if in.ComponentPath != nil && *in.ComponentPath != "" {
		fn = *in.ComponentPath + ":" + fn
	}
	var detail string
	if in.OccCalls != nil {
		detail = plural(*in.OccCalls, "OCC conflict")
		if in.OccTableName != "" {
			detail += " on table " + in.OccTableName
		}
	} else if in.Count != nil {
		detail = plural(*in.Count, "occurrence")
	}
	out := fmt.Sprintf("%s %s: %s — %s", sev, label, paintStdout(d, fn, ui.Bold), detail)
	if !details || len(in.RecentEvents) == 0 {
		return out
	}
	out += "\n"
	for _, raw := range in.RecentEvents {
		var ev struct {
			Timestamp      string   `json:"timestamp"`
			RequestID      string   `json:"request_id"`
			OccRetryCount  *float64 `json:"occ_retry_count"`
			OccDocumentID  string   `json:"occ_document_id"`
			OccWriteSource string   `json:"occ_write_source"`
			Success        bool     `json:"success"`
			Calls          []struct {
				TableName     string  `json:"table_name"`
				BytesRead     float64 `json:"bytes_read"`
				DocumentsRead float64 `json:"documents_read"`
			} `json:"calls"`
		}
		if json.Unmarshal(raw, &ev) != nil {
			continue
		}
		when := ev.Timestamp
		if ts, err := time.Parse(time.RFC3339Nano, strings.Replace(ev.Timestamp, " ", "T", 1)); err == nil {
			when = ts.Local().Format("1/2/2006, 3:04:05 PM")
		}
		line := "    " + when + "  req:" + ev.RequestID + "  "
		if ev.OccRetryCount != nil {
			line += fmt.Sprintf("retries:%v", *ev.OccRetryCount)
			if ev.OccDocumentID != "" {
				line += " doc:" + ev.OccDocumentID
			}
			if ev.OccWriteSource != "" {
				line += " source:" + ev.OccWriteSource
			}
		} else {
			status := "fail"
			if ev.Success {
				status = "ok"
			}
			var calls []string
			for _, c := range ev.Calls {
				calls = append(calls, fmt.Sprintf("%s(%v docs, %v bytes)", c.TableName, c.DocumentsRead, c.BytesRead))
			}
			line += status + "  " + strings.Join(calls, ", ")
		}
		out += line + "\n"
	}
	return out
}

// countSeverities splits insights into errors and warnings.
func countSeverities(list []*insight) (errs, warns int) {
	for _, in := range list {
		if in.Severity == "error" {
			errs++
		} else {
			warns++
		}
	}
	return errs, warns
}

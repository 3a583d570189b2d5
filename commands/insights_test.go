package commands

import (
	"strings"
	"testing"

	"github.com/convex-go/convex/config"
)

func TestInsightRows(t *testing.T) {
	d := &Deps{Env: config.MapEnv{}}
	d.init()
	occ, err := parseInsightRow([]string{"occRetried", "messages:send", "-root-component-",
		`{"occCalls":3,"occTableName":"messages","recentEvents":[{"timestamp":"2026-01-02T03:04:05Z","request_id":"r1","occ_retry_count":2,"occ_document_id":"doc1"}]}`}, true)
	if err != nil || occ == nil {
		t.Fatalf("occ row: %v %v", occ, err)
	}
	if occ.Severity != "warning" || occ.ComponentPath != nil || len(occ.RecentEvents) != 1 {
		t.Errorf("occ = %+v", occ)
	}
	got := d.formatInsight(occ, true)
	if !strings.HasPrefix(got, "[WARNING] OCC Retried: messages:send — 3 OCC conflicts on table messages\n") ||
		!strings.Contains(got, "req:r1  retries:2 doc:doc1") {
		t.Errorf("occ formatted as %q", got)
	}
	res, err := parseInsightRow([]string{"bytesReadLimit", "big:query", "comp", `{"count":1,"recentEvents":[{"timestamp":"x","request_id":"r2","success":false,"calls":[{"table_name":"t","bytes_read":10,"documents_read":2}]}]}`}, false)
	if err != nil || res == nil {
		t.Fatal(err)
	}
	if got := d.formatInsight(res, false); got != "[ERROR] Bytes Read Limit Exceeded: comp:big:query — 1 occurrence" {
		t.Errorf("resource insight formatted as %q", got)
	}
	if res.RecentEvents != nil {
		t.Error("recent events kept without --details")
	}
	if in, err := parseInsightRow([]string{"somethingNew", "f", "-root-component-", "{}"}, false); in != nil || err != nil {
		t.Errorf("unknown kind: %v %v", in, err)
	}
	for _, bad := range [][]string{{"occRetried"}, {"occRetried", "f", "-root-component-", "{nope"}} {
		if _, err := parseInsightRow(bad, false); err == nil {
			t.Errorf("row %q accepted", bad)
		}
	}
}

func TestInsightsNeedCloudAndUser(t *testing.T) {
	res := run(t, config.MapEnv{"CONVEX_SELF_HOSTED_URL": "http://127.0.0.1:1", "CONVEX_SELF_HOSTED_ADMIN_KEY": "x|y"}, "insights")
	if res.code != 1 || !strings.Contains(res.stderr, "only available for Convex cloud deployments") {
		t.Errorf("self-hosted: %+v", res)
	}
}

func TestFormatHelpers(t *testing.T) {
	for n, want := range map[float64]string{0: "0 bytes", 128: "128 bytes", 1024: "1 KiB", 1536: "1.5 KiB", 4 << 20: "4 MiB", 1048575: "1 MiB", 5.5 * (1 << 30): "5.5 GiB"} {
		if got := formatSize(n); got != want {
			t.Errorf("formatSize(%v) = %q, want %q", n, got, want)
		}
	}
	for ms, want := range map[float64]string{0.0005: "500ns", 0.25: "250µs", 12.345: "12.35ms", 1500: "1.5s", 90000: "1.5m", 30000: "30s"} {
		if got := formatDuration(ms); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", ms, got, want)
		}
	}
	if got := progressBar(5, 10, 10); got != "[=====     ] 50%" {
		t.Errorf("progressBar = %q", got)
	}
	if got := progressBar(0, 0, 4); got != "[====] 100%" {
		t.Errorf("progressBar of an empty file = %q", got)
	}
}

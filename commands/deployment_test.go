package commands

import (
	"strings"
	"testing"
	"time"

	"github.com/convex-go/convex/config"
	"github.com/convex-go/convex/deployments"
)

func TestParseExpiration(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ok := map[string]time.Time{
		"in 7 days":            now.Add(7 * 24 * time.Hour),
		"IN 2 Hours":           now.Add(2 * time.Hour),
		"in 45 minutes":        now.Add(45 * time.Minute),
		"2026-04-01T00:00:00Z": time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC),
		"1767312000":           time.Unix(1767312000, 0),      // seconds
		"1767312000000":        time.UnixMilli(1767312000000), // milliseconds
	}
	for in, want := range ok {
		got, err := parseExpiration(in, now)
		if err != nil || got == nil || *got != want.UnixMilli() {
			t.Errorf("parseExpiration(%q) = %v, %v; want %d", in, got, err, want.UnixMilli())
		}
	}
	if got, err := parseExpiration(" None ", now); err != nil || got != nil {
		t.Errorf("none = %v, %v", got, err)
	}
	bad := map[string]string{
		"tomorrow":             "Invalid expiration",
		"in 10 minutes":        "at least 30 minutes",
		"2025-01-01T00:00:00Z": "in the future",
		"in 400 days":          "at most one year",
		"2026-13-01T00:00:00Z": "Invalid UTC",
	}
	for in, want := range bad {
		_, err := parseExpiration(in, now)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parseExpiration(%q) = %v, want error containing %q", in, err, want)
		}
	}
}

func TestParseNewReference(t *testing.T) {
	ref, team, project, err := parseNewReference("acme:chat:dev/james")
	if err != nil || ref != "dev/james" || team != "acme" || project != "chat" {
		t.Errorf("full selector = %q %q %q %v", ref, team, project, err)
	}
	if ref, _, _, err := parseNewReference("staging"); err != nil || ref != "staging" {
		t.Errorf("staging = %q %v", ref, err)
	}
	for in, want := range map[string]string{
		"happy-animal-123": "reserved for generated",
		"dev":              "reserved",
		"prod":             "reserved",
		"local":            "reserved",
		"chat:staging":     "team:project:ref",
		"ab":               "not a valid deployment reference",
		"Staging":          "not a valid deployment reference",
		"x y z":            "not a valid deployment reference",
	} {
		if _, _, _, err := parseNewReference(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parseNewReference(%q) = %v, want %q", in, err, want)
		}
	}
}

// TestDotenvValue pins the NAME=value format of `env list` to the npm
// CLI's (scripts parse it), and checks that the values it does not warn
// about, apart from surrounding spaces, read back unchanged.
func TestDotenvValue(t *testing.T) {
	cases := []struct {
		in, want string
		warns    bool
	}{
		{"plain", "plain", false},
		{"with space inside", "with space inside", false},
		{"  padded  ", "  padded  ", false},
		{"", "", false},
		{"it's", "it's", false},
		{`say "hi"`, `say "hi"`, false},
		{"a#b", "'a#b'", false},
		{"it's #1", `"it's #1"`, false},
		{`it's "x" #1`, `'it's "x" #1'`, true},
		{"multi\nline", "'multi\nline'", false},
		{"it's\nnext", `"it's\nnext"`, false},
		{"it's\n\\n #", "'it's\n\\n #'", true},
		{"it's \"q\"\n#", `"it's "q"\n#"`, true},
		{`"wrapped"`, `'"wrapped"'`, false},
		{"'wrapped'", "\"'wrapped'\"", false},
		{"`tick", "'`tick'", false},
		{"tick`", "'tick`'", false},
		{"form\ffeed", "'form\ffeed'", false},
		{"cr\rhere", "cr\rhere", true},
		{"a#b\rc", "'a#b\rc'", true},
	}
	for _, c := range cases {
		got, warning := dotenvValue(c.in)
		if got != c.want || (warning != "") != c.warns {
			t.Errorf("dotenvValue(%q) = %q, warning %q; want %q, warning %v", c.in, got, warning, c.want, c.warns)
		}
		if warning == "" && strings.TrimSpace(c.in) == c.in {
			if back := config.ParseDotenv([]byte("K=" + got + "\n"))["K"]; back != c.in {
				t.Errorf("value %q written as %q reads back as %q", c.in, got, back)
			}
		}
	}
}

func TestEnsureCanCreate(t *testing.T) {
	cases := map[string]string{"": "requires logging in", "deploymentKey": "deploy key", "previewDeployKey": "deploy key"}
	for kind, want := range cases {
		err := ensureCanCreate(authOf(kind), "deployment")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("kind %q: %v", kind, err)
		}
	}
	for _, kind := range []string{"accessToken", "projectKey"} {
		if err := ensureCanCreate(authOf(kind), "deployment"); err != nil {
			t.Errorf("kind %q refused: %v", kind, err)
		}
	}
}

func TestLogoutAndDocsWithoutBrowser(t *testing.T) {
	r := run(t, config.MapEnv{"BROWSER": "none"}, "docs")
	if r.code != 0 || !strings.Contains(r.stderr, "https://docs.convex.dev/?utm_source=convex-cli") {
		t.Errorf("docs: %+v", r)
	}
	r = run(t, nil, "logout")
	if r.code != 0 || !strings.Contains(r.stderr, "not logged in") {
		t.Errorf("logout without a login: %+v", r)
	}
}

func authOf(kind string) deployments.Auth { return deployments.Auth{Kind: kind} }

func TestNumberFormats(t *testing.T) {
	compact := map[float64]string{0: "0", 999: "999", 1000: "1K", 1234: "1.234K", 1500000: "1.5M", 2.5e9: "2.5B", 0.25: "0.25", 1234567: "1.235M"}
	for v, want := range compact {
		if got := compactNumber(v); got != want {
			t.Errorf("compactNumber(%v) = %q, want %q", v, got, want)
		}
	}
	exact := map[float64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1000: "-1,000", 1000.5: "1,000.5"}
	for v, want := range exact {
		if got := thousands(v); got != want {
			t.Errorf("thousands(%v) = %q, want %q", v, got, want)
		}
	}
	if got := amount(1, "calls"); got != "1 call" {
		t.Errorf("amount(1, calls) = %q", got)
	}
	table := boxTable([]string{"A", "Bee"}, [][]string{{"xyz", "1"}}, 1)
	want := "┌─────┬─────┐\n│ A   │ Bee │\n├─────┼─────┤\n│ xyz │   1 │\n└─────┴─────┘"
	if table != want {
		t.Errorf("boxTable =\n%s\nwant\n%s", table, want)
	}
}

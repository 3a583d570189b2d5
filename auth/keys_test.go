package auth

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/convex-go/convex/config"
	"github.com/convex-go/convex/ui"
)

const secret = "eyJ2MiI6ImFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6In0="

func TestParseDeployKey(t *testing.T) {
	cases := []struct {
		in            string
		kind          KeyKind
		typ, name     string
		team, project string
		depType       string
		management    bool
	}{
		{"prod:happy-animal-123|" + secret, KeyProd, "prod", "happy-animal-123", "", "", "prod", true},
		{"dev:joyful-cat-456|" + secret, KeyDev, "dev", "joyful-cat-456", "", "", "dev", true},
		{"prod:extra:happy-animal-123|" + secret, KeyProd, "prod", "happy-animal-123", "", "", "prod", true},
		{"preview:my-team:my-project|" + secret, KeyPreview, "preview", "", "my-team", "my-project", "preview", true},
		{"project:my-team:my-project|" + secret, KeyProject, "project", "", "my-team", "my-project", "project", true},
		{"project:odd|" + secret, KeyProject, "project", "", "", "", "project", true},
		{"preview:brave-fox-789|" + secret, KeyOther, "preview", "brave-fox-789", "", "", "preview", false},
		{"custom:thing-1|" + secret, KeyOther, "custom", "thing-1", "", "", "custom", false},
		{"anonymous-chat|0123abcd", KeyAdmin, "", "anonymous-chat", "", "", "prod", false},
		{"local-my_team-my_proj|abcdef", KeyAdmin, "", "local-my_team-my_proj", "", "", "prod", false},
		{"convex-self-hosted|01a2b3", KeyAdmin, "", "convex-self-hosted", "", "", "prod", false},
		{"prod:a|b|c", KeyProd, "prod", "a", "", "", "prod", true},
		{secret, KeyLegacy, "", "", "", "", "prod", false},
		{"", KeyNone, "", "", "", "", "prod", false},
		{"<ignore_deploy_key>", KeyNone, "", "", "", "", "prod", false},
	}
	for _, c := range cases {
		k, err := ParseDeployKey(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		got := fmt.Sprint(k.Kind, "|", k.Type, "|", k.DeploymentName, "|", k.Team, "|", k.Project, "|", k.DeploymentType(), "|", k.AuthenticatesManagement())
		want := fmt.Sprint(c.kind, "|", c.typ, "|", c.name, "|", c.team, "|", c.project, "|", c.depType, "|", c.management)
		if got != want {
			t.Errorf("%q:\n got  %s\n want %s", c.in, got, want)
		}
		if c.kind != KeyNone && k.Raw != c.in {
			t.Errorf("%q: Raw = %q", c.in, k.Raw)
		}
	}
}

func TestParseDeployKeyErrors(t *testing.T) {
	cases := []struct {
		in, wantMsg, wantHint string
	}{
		{"<missing_deploy_key:Set CONVEX_DEPLOY_KEY in the Vercel settings>", "Set CONVEX_DEPLOY_KEY in the Vercel settings", ""},
		{"<missing_deploy_key:a > b>", "a > b", ""},
		// Cut by the shell at '|'.
		{"prod:happy-animal-123", "looks cut off", "single quotes"},
		{"project:my-team:my-project", "looks cut off", "single quotes"},
		{"preview:my-team:my-project", "looks cut off", "single quotes"},
		{"dev:joyful-cat-456|", "nothing after '|'", "single quotes"},
		{"|" + secret, "nothing before '|'", "dashboard"},
		{"prod:happy-animal-123|" + secret + "\n", "whitespace", "line breaks"},
		{" prod:x|" + secret, "whitespace", ""},
		{"preview:a:b:c|" + secret, "malformed preview key", "preview deploy key"},
	}
	for _, c := range cases {
		_, err := ParseDeployKey(c.in)
		var ue *ui.Error
		if err == nil || !asUI(err, &ue) {
			t.Errorf("%q: err = %v", c.in, err)
			continue
		}
		if !strings.Contains(ue.Msg, c.wantMsg) || !strings.Contains(ue.Hint, c.wantHint) {
			t.Errorf("%q: msg %q hint %q", c.in, ue.Msg, ue.Hint)
		}
		if strings.Contains(ue.Msg+ue.Hint, secret) {
			t.Errorf("%q: error shows the secret: %q", c.in, ue.Msg)
		}
		if ui.ExitCode(err) != 1 {
			t.Errorf("%q: exit code %d", c.in, ui.ExitCode(err))
		}
	}
	// A sentinel's message is shown as is.
	_, err := ParseDeployKey("<missing_deploy_key:Exactly this.>")
	if err.Error() != "Exactly this." {
		t.Errorf("sentinel message %q", err)
	}
}

func TestReadDeployKey(t *testing.T) {
	prod := "prod:a-1|" + secret
	dev := "dev:b-2|" + secret
	cases := []struct {
		env     config.MapEnv
		wantRaw string
		wantVar string
		wantErr bool
	}{
		{config.MapEnv{}, "", "", false},
		{config.MapEnv{"CONVEX_DEPLOY_KEY": prod}, prod, "CONVEX_DEPLOY_KEY", false},
		{config.MapEnv{"CONVEX_DEPLOYMENT_TOKEN": dev}, dev, "CONVEX_DEPLOYMENT_TOKEN", false},
		{config.MapEnv{"CONVEX_DEPLOY_KEY": prod, "CONVEX_DEPLOYMENT_TOKEN": dev}, prod, "CONVEX_DEPLOY_KEY", false},
		{config.MapEnv{"CONVEX_DEPLOY_KEY": "", "CONVEX_DEPLOYMENT_TOKEN": dev}, dev, "CONVEX_DEPLOYMENT_TOKEN", false},
		{config.MapEnv{"CONVEX_DEPLOY_KEY": "<ignore_deploy_key>", "CONVEX_DEPLOYMENT_TOKEN": dev}, "", "", false},
		{config.MapEnv{"CONVEX_DEPLOYMENT_TOKEN": "dev:cut"}, "", "CONVEX_DEPLOYMENT_TOKEN", true},
	}
	for i, c := range cases {
		k, name, err := ReadDeployKey(c.env)
		if (err != nil) != c.wantErr || name != c.wantVar || (!c.wantErr && k.Raw != c.wantRaw) {
			t.Errorf("case %d: %v %q %v", i, k, name, err)
		}
		if c.wantErr && !strings.Contains(err.Error(), c.wantVar) {
			t.Errorf("case %d: error should name %s: %v", i, c.wantVar, err)
		}
	}
}

func TestDeployKeyNeverPrintsSecret(t *testing.T) {
	k, _ := ParseDeployKey("prod:happy-animal-123|" + secret)
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%v %s %+v %#v", k, k, k, k)} {
		if strings.Contains(s, secret) {
			t.Errorf("printed secret: %s", s)
		}
	}
	if k.Secret() != secret {
		t.Errorf("Secret() = %q", k.Secret())
	}
}

func TestCheckSuspiciousEnv(t *testing.T) {
	name := strings.TrimRight(base64.StdEncoding.EncodeToString([]byte(`{"v2":"abc123"}`)), "=")
	if !strings.HasPrefix(name, "ey") {
		t.Fatal(name)
	}
	notKey := strings.TrimRight(base64.StdEncoding.EncodeToString([]byte(`{"v1":"abc123"}`)), "=")
	env := []string{"PATH=/bin", notKey + "=", "eyes=", name + "=x", "HOME=/h"}
	if w, err := CheckSuspiciousEnv(env, false); err != nil || len(w) != 0 {
		t.Errorf("false positive: %v %v", w, err)
	}
	env = append(env, name+"=")
	_, err := CheckSuspiciousEnv(env, false)
	if err == nil || !strings.Contains(ui.HintOf(err), "CONVEX_DEPLOY_KEY='") || strings.Contains(err.Error(), name) {
		t.Errorf("err = %v (hint %q)", err, ui.HintOf(err))
	}
	w, err := CheckSuspiciousEnv(env, true)
	if err != nil || len(w) != 1 || strings.Contains(w[0], name) {
		t.Errorf("ignore: %v %v", w, err)
	}
}

func FuzzParseDeployKey(f *testing.F) {
	for _, s := range []string{
		"prod:happy-animal-123|" + secret, "dev:x|y", "preview:t:p|s", "preview:d|s", "project:t:p|s",
		"custom:a:b|c", "anon|hex", "legacy", "", "<ignore_deploy_key>", "<missing_deploy_key:m>",
		"prod:cut", "|", "a|", ":|:", "preview:a:b:c:d|x", "p r o d|x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseDeployKey(s)
		if err != nil {
			return
		}
		switch k.Kind {
		case KeyNone:
			if s != "" && s != IgnoreDeployKey {
				t.Fatalf("%q parsed as none", s)
			}
			return
		case KeyLegacy:
			if strings.Contains(s, "|") {
				t.Fatalf("%q with '|' parsed as legacy", s)
			}
		default:
			if !strings.Contains(s, "|") || k.Secret() == "" {
				t.Fatalf("%q: kind %v without a secret", s, k.Kind)
			}
		}
		if k.Raw != s {
			t.Fatalf("Raw %q != %q", k.Raw, s)
		}
		if (k.Kind == KeyPreview || k.Kind == KeyProject) && k.DeploymentName != "" {
			t.Fatalf("%q: project-level key with a deployment name", s)
		}
		if (k.Kind == KeyProd || k.Kind == KeyDev) && strings.Contains(k.DeploymentName, ":") {
			t.Fatalf("%q: name %q keeps a prefix", s, k.DeploymentName)
		}
		// What String shows after the first '|' stands for the secret; the
		// part before it is the key's name, which may look like anything.
		if _, shown, _ := strings.Cut(k.String(), "|"); len(k.Secret()) > 12 && strings.Contains(shown, k.Secret()) {
			t.Fatalf("String() shows the secret of %q", s)
		}
	})
}

package deployments

import "testing"

func TestConfiguredType(t *testing.T) {
	for in, want := range map[string]string{
		"dev:happy-animal-123":  "dev",
		"prod:happy-animal-123": "prod",
		"preview:x":             "preview",
		"local:local-acme-chat": "local",
		"anonymous:anonymous-x": "",
		"happy-animal-123":      "",
		"dev":                   "",
	} {
		if got := configuredType(in); got != want {
			t.Errorf("configuredType(%q) = %q, want %q", in, got, want)
		}
	}
}

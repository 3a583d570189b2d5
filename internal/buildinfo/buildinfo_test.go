package buildinfo

import "testing"

func TestVersions(t *testing.T) {
	none := func(string) string { return "" }
	override := func(k string) string {
		if k == "CONVEX_VERSION_OVERRIDE" {
			return "9.9.9"
		}
		return ""
	}
	if got := ClientVersion(none); got != CompatVersion {
		t.Errorf("ClientVersion = %q, want %q", got, CompatVersion)
	}
	if got := ClientVersion(override); got != "9.9.9" {
		t.Errorf("ClientVersion with override = %q", got)
	}
	if got := DisplayVersion(none); got != Version {
		t.Errorf("DisplayVersion = %q, want %q", got, Version)
	}
	if got := DisplayVersion(override); got != "9.9.9" {
		t.Errorf("DisplayVersion with override = %q", got)
	}
}

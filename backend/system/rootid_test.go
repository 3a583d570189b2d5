package system

import (
	"testing"

	"github.com/convex-go/convex/backend/values"
)

// RootComponentID is written out as a constant; it must stay the id the
// components table encoding gives.
func TestRootComponentIDIsEncoded(t *testing.T) {
	want := values.EncodeID(componentsTableNumber, [16]byte{15: 1})
	if RootComponentID != want {
		t.Fatalf("RootComponentID = %q, want %q", RootComponentID, want)
	}
	if _, ok := handlerFor(Canonical("_system/cli/tables")); !ok {
		t.Fatal("tables handler not found")
	}
	if _, ok := handlerFor("_system/cli/nope.js:default"); ok {
		t.Fatal("unknown path has a handler")
	}
}

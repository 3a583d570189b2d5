package api

import (
	"strings"
	"testing"
)

func TestCheckModulePath(t *testing.T) {
	for _, ok := range []string{"messages.js", "admin/users.js", "_deps/ABC123.js", "_deps/node/x_y.js", "lib/my.module.js", "_private/a.js"} {
		if err := checkModulePath(ok); err != nil {
			t.Errorf("%s refused: %v", ok, err)
		}
	}
	for path, part := range map[string]string{
		"lib/identity-signing.js": "identity-signing.js",
		"my dir/a.js":             "my dir",
		"a//b.js":                 "",
		"./a.js":                  ".",
		"é.js":                    "é.js",
		"a/_/b.js":                "_",
	} {
		err := checkModulePath(path)
		if err == nil {
			t.Errorf("%s accepted", path)
			continue
		}
		if !strings.Contains(err.Error(), "is not a valid path to a Convex module") || !strings.Contains(err.Error(), "Path component "+part+" ") {
			t.Errorf("%s: %v", path, err)
		}
	}
}

package runtime

import (
	"embed"
	"io/fs"
	"sort"
	"strings"

	"github.com/convex-go/convex/internal/lazy"
)

//go:embed js/*.js
var shimFiles embed.FS

//go:embed sysmod/*.js
var sysFiles embed.FS

// systemModuleFiles pairs convex:/_system/ module paths with their sources.
var systemModuleFiles = [...]struct{ name, file string }{
	{"_system/repl/wrappers.js", "sysmod/repl_wrappers.js"},
}

// shimSource is the runtime shim: the js/ files in name order, inside one
// function that receives the native bridge and returns the entry point.
var shimSource = lazy.Value[string]{New: func() string {
	names, err := fs.Glob(shimFiles, "js/*.js")
	if err != nil {
		panic(err)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("(function (native) {\n")
	for _, n := range names {
		data, err := shimFiles.ReadFile(n)
		if err != nil {
			panic(err)
		}
		b.Write(data)
		b.WriteString("\n")
	}
	b.WriteString("})")
	return b.String()
}}

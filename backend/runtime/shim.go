package runtime

import (
	"embed"
	"io/fs"
	"sort"
	"strings"
	"sync"
)

//go:embed js/*.js
var shimFiles embed.FS

//go:embed sysmod/*.js
var sysFiles embed.FS

// systemModuleFiles maps convex:/_system/ module paths to their sources.
var systemModuleFiles = map[string]string{
	"_system/repl/wrappers.js": "sysmod/repl_wrappers.js",
}

// shimSource is the runtime shim: the js/ files in name order, inside one
// function that receives the native bridge and returns the entry point.
var shimSource = sync.OnceValue(func() string {
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
})

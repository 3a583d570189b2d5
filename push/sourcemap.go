package push

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/go-sourcemap/sourcemap"

	"github.com/convex-go/convex/bundler"
	"github.com/convex-go/convex/internal/lazy"
)

// bundledPosition finds "<module>.js:<line>:<column>" in deployment errors.
var bundledPosition = lazy.Regexp(`([A-Za-z0-9_./\-]+\.js):(\d+):(\d+)`)

// MapPositions rewrites positions in bundled modules (as the deployment
// reports them in analysis and runtime errors) to the user's source files,
// relative to projectDir: "messages.js:41:12" becomes "convex/messages.ts:7:3".
func MapPositions(msg, projectDir string, b *bundler.Result) string {
	if b == nil || msg == "" {
		return msg
	}
	mods := map[string]bundler.Module{}
	for _, m := range b.Modules {
		mods[m.Path] = m
	}
	consumers := map[string]*sourcemap.Consumer{}
	re := bundledPosition.Get()
	return re.ReplaceAllStringFunc(msg, func(match string) string {
		sub := re.FindStringSubmatch(match)
		path := strings.TrimPrefix(strings.TrimPrefix(sub[1], "convex:/"), "./")
		path = strings.TrimPrefix(path, "../")
		m, ok := mods[path]
		if !ok || m.SourceMap == "" {
			return match
		}
		c, ok := consumers[path]
		if !ok {
			var err error
			c, err = sourcemap.Parse("", []byte(m.SourceMap))
			if err != nil {
				return match
			}
			consumers[path] = c
		}
		line, _ := strconv.Atoi(sub[2])
		col, _ := strconv.Atoi(sub[3])
		// Deployment columns are 1-based; source maps count from 0.
		src, _, sl, sc, ok := c.Source(line, max(col-1, 0))
		if !ok || src == "" {
			return match
		}
		// Sources are relative to the bundler's "out" directory.
		abs := filepath.Join(projectDir, "out", filepath.FromSlash(src))
		rel, err := filepath.Rel(projectDir, abs)
		if err != nil {
			rel = abs
		}
		return fmt.Sprintf("%s:%d:%d", filepath.ToSlash(rel), sl, sc+1)
	})
}

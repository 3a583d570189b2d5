package e2e_test

import (
	"io/fs"
	"os"
	"path/filepath"
)

// copyApp copies an example app's sources to dst, leaving out what a run in
// the source folder may have left there (installed packages, the local
// deployment's state, .env.local), so tests start from a fresh checkout's
// view even after someone ran `convex dev` in examples/.
func copyApp(dst, src string) error {
	skip := map[string]bool{"node_modules": true, ".convex": true, ".env.local": true}
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if skip[d.Name()] && rel == d.Name() {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}

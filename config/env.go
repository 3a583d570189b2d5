// Package config owns the CLI's file formats and their locations: the global
// directory and token file, the cache directory, project env files (read with
// the same rules as the npm `dotenv` package the reference CLI uses, written
// with minimal diffs), convex.json, and project-local state paths.
//
// Library code never reads the process environment directly; it takes an Env
// so tests can run with a map.
package config

import (
	"os"
	"sort"
	"strings"
)

// Env looks up environment variables. An unset variable reads as "".
type Env interface{ Get(name string) string }

// LookupEnv is implemented by Envs that can tell an empty variable from an
// unset one. Env-file layering needs the difference: a variable set to ""
// in the real environment still hides the same name in .env.local.
type LookupEnv interface {
	Lookup(name string) (string, bool)
}

// MapEnv is an Env backed by a map, for tests and for env files.
type MapEnv map[string]string

// Get implements Env.
func (m MapEnv) Get(name string) string { return m[name] }

// Lookup implements LookupEnv.
func (m MapEnv) Lookup(name string) (string, bool) {
	v, ok := m[name]
	return v, ok
}

// Environer is implemented by Envs that can list every variable.
type Environer interface {
	Environ() []string
}

// Environ implements Environer: NAME=value lines sorted by name.
func (m MapEnv) Environ() []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// Environ lists env's variables as NAME=value lines (os.Environ style), or
// nil when env cannot list them.
func Environ(env Env) []string {
	if e, ok := env.(Environer); ok {
		return e.Environ()
	}
	return nil
}

// OSEnv is the process environment. Only main should construct it.
type OSEnv struct{}

// Get implements Env.
func (OSEnv) Get(name string) string { return os.Getenv(name) }

// Lookup implements LookupEnv.
func (OSEnv) Lookup(name string) (string, bool) { return os.LookupEnv(name) }

// Environ implements Environer.
func (OSEnv) Environ() []string { return os.Environ() }

// lookup asks env for name, using Lookup when env supports it; otherwise a
// non-empty value counts as set.
func lookup(env Env, name string) (string, bool) {
	if env == nil {
		return "", false
	}
	if l, ok := env.(LookupEnv); ok {
		return l.Lookup(name)
	}
	v := env.Get(name)
	return v, v != ""
}

// LayeredEnv reads the real environment first, then each file layer in order
// (the first layer that has a name wins). This is what dotenv does when the
// reference CLI loads .env.local and then .env into process.env without
// overriding what is already set.
type LayeredEnv struct {
	Base   Env
	Layers []map[string]string
}

// Get implements Env.
func (l LayeredEnv) Get(name string) string {
	v, _ := l.Lookup(name)
	return v
}

// Lookup implements LookupEnv.
func (l LayeredEnv) Lookup(name string) (string, bool) {
	if v, ok := lookup(l.Base, name); ok {
		return v, true
	}
	for _, layer := range l.Layers {
		if v, ok := layer[name]; ok {
			return v, true
		}
	}
	return "", false
}

// Environ returns base (os.Environ()-style) plus every file variable that
// base does not set, so child processes (`deploy --cmd`, `dev --run-sh`)
// see .env.local and .env values the way the reference's children do.
func (l LayeredEnv) Environ(base []string) []string {
	out := append([]string(nil), base...)
	seen := map[string]bool{}
	for _, kv := range base {
		name, _, _ := strings.Cut(kv, "=")
		seen[name] = true
	}
	for _, layer := range l.Layers {
		names := make([]string, 0, len(layer))
		for k := range layer {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			if !seen[k] {
				seen[k] = true
				out = append(out, k+"="+layer[k])
			}
		}
	}
	return out
}

// ProjectEnv returns env layered over dir/.env.local and dir/.env, the view
// of the environment every command that has no --env-file works with.
func ProjectEnv(env Env, dir string) (LayeredEnv, error) {
	local, err := ReadEnvFile(joinDir(dir, EnvLocalFile))
	if err != nil {
		return LayeredEnv{}, err
	}
	plain, err := ReadEnvFile(joinDir(dir, EnvFileName))
	if err != nil {
		return LayeredEnv{}, err
	}
	return LayeredEnv{Base: env, Layers: []map[string]string{local.Values(), plain.Values()}}, nil
}

// LoadProjectEnv returns the variables of dir/.env.local and dir/.env merged,
// .env.local winning. The real environment is not included.
func LoadProjectEnv(dir string) (map[string]string, error) {
	l, err := ProjectEnv(nil, dir)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for i := len(l.Layers) - 1; i >= 0; i-- {
		for k, v := range l.Layers[i] {
			out[k] = v
		}
	}
	return out, nil
}

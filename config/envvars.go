package config

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"strings"

	"github.com/convex-go/convex/internal/lazy"
	"github.com/convex-go/convex/ui"
)

// PackageJSON is the part of package.json the CLI looks at.
type PackageJSON struct {
	Path string // "" when the project has no package.json
	// Deps merges dependencies and devDependencies (dev wins), as the
	// reference does for framework detection.
	Deps map[string]string
}

// HasDependency reports whether name is a dependency or devDependency.
func (p *PackageJSON) HasDependency(name string) bool {
	_, ok := p.Deps[name]
	return ok
}

// ReadPackageJSON reads dir/package.json. A missing file gives an empty
// PackageJSON; a malformed one is a *ui.Error naming it.
func ReadPackageJSON(dir string) (*PackageJSON, error) {
	path := joinDir(dir, "package.json")
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &PackageJSON{Deps: map[string]string{}}, nil
	}
	if err != nil {
		return nil, ui.Wrap(err, "cannot read %s", path)
	}
	var obj struct {
		Dependencies    map[string]any `json:"dependencies"`
		DevDependencies map[string]any `json:"devDependencies"`
	}
	if err := json.Unmarshal(data, &obj); err != nil {
		return nil, ui.Wrap(err, "cannot parse %s", path).WithHint("package.json must be a JSON object.")
	}
	p := &PackageJSON{Path: path, Deps: map[string]string{}}
	for _, m := range []map[string]any{obj.Dependencies, obj.DevDependencies} {
		for k, v := range m {
			s, _ := v.(string)
			p.Deps[k] = s
		}
	}
	return p, nil
}

// Framework says which variable names a frontend reads the deployment URLs
// from.
type Framework struct {
	Name    string // "" when none was detected
	URLVar  string // e.g. VITE_CONVEX_URL
	SiteVar string // e.g. VITE_CONVEX_SITE_URL
}

// Names of the deployment URL variables across frameworks.
var (
	URLVarNames = []string{"CONVEX_URL", "PUBLIC_CONVEX_URL", "NEXT_PUBLIC_CONVEX_URL",
		"VITE_CONVEX_URL", "REACT_APP_CONVEX_URL", "EXPO_PUBLIC_CONVEX_URL"}
	SiteVarNames = []string{"CONVEX_SITE_URL", "PUBLIC_CONVEX_SITE_URL", "NEXT_PUBLIC_CONVEX_SITE_URL",
		"VITE_CONVEX_SITE_URL", "REACT_APP_CONVEX_SITE_URL", "EXPO_PUBLIC_CONVEX_SITE_URL"}
)

// frameworks in detection order: the first dependency found decides. Vite
// comes before Remix so Remix-on-Vite gets VITE_ names.
var frameworks = []struct {
	deps   []string
	name   string
	prefix string
}{
	{[]string{"react-scripts"}, "create-react-app", "REACT_APP_"},
	{[]string{"next"}, "Next.js", "NEXT_PUBLIC_"},
	{[]string{"expo"}, "Expo", "EXPO_PUBLIC_"},
	{[]string{"@sveltejs/kit"}, "SvelteKit", "PUBLIC_"},
	{[]string{"@tanstack/start", "@tanstack/react-start"}, "TanStackStart", "VITE_"},
	{[]string{"vite"}, "Vite", "VITE_"},
	{[]string{"@remix-run/dev"}, "Remix", ""},
}

// DetectFramework picks the URL variable names from dir/package.json's
// dependencies; without a package.json or a known framework it is
// CONVEX_URL / CONVEX_SITE_URL.
func DetectFramework(dir string) (Framework, error) {
	pkg, err := ReadPackageJSON(dir)
	if err != nil {
		return Framework{}, err
	}
	for _, fw := range frameworks {
		for _, d := range fw.deps {
			if pkg.HasDependency(d) {
				return Framework{Name: fw.name, URLVar: fw.prefix + "CONVEX_URL", SiteVar: fw.prefix + "CONVEX_SITE_URL"}, nil
			}
		}
	}
	return Framework{URLVar: "CONVEX_URL", SiteVar: "CONVEX_SITE_URL"}, nil
}

// DevEnvFile is the env file the URL variables go to: .env.local if it
// exists; else .env for Remix (which keeps .env out of git); else .env.local.
func DevEnvFile(dir string, fw Framework) (string, error) {
	local := joinDir(dir, EnvLocalFile)
	ok, err := fileExists(local)
	if err != nil || ok {
		return local, err
	}
	if fw.Name == "Remix" {
		return joinDir(dir, EnvFileName), nil
	}
	return local, nil
}

// DeploymentVar is the variable naming the configured deployment.
const DeploymentVar = "CONVEX_DEPLOYMENT"

// DeploymentCommentLine precedes CONVEX_DEPLOYMENT when the CLI adds it.
const DeploymentCommentLine = "# Deployment used by `convex dev` (managed by the Convex CLI)"

// DeploymentValue is "<type>:<name>", the CONVEX_DEPLOYMENT format.
func DeploymentValue(kind, name string) string { return kind + ":" + name }

// SetDeployment records the configured deployment in dir/.env.local
// (never .env): `CONVEX_DEPLOYMENT=<value>`, with " # team: T, project: P"
// when both slugs are known. It reports whether the file changed and
// whether the deployment differs from the one configured before (a value
// equal to the bare name or to <value> counts as the same, as in the
// reference). .gitignore is updated when the file changed.
func SetDeployment(dir, value, team, project string) (changed, newDeployment bool, err error) {
	f, err := ReadEnvFile(joinDir(dir, EnvLocalFile))
	if err != nil {
		return false, false, err
	}
	old, had := f.Get(DeploymentVar)
	comment := ""
	if team != "" && project != "" {
		comment = "team: " + team + ", project: " + project
	}
	if err := f.SetValue(DeploymentVar, value, comment, DeploymentCommentLine); err != nil {
		return false, false, err
	}
	if !f.Changed() {
		return false, false, nil
	}
	if err := f.Save(); err != nil {
		return false, false, err
	}
	name := value[strings.LastIndexByte(value, ':')+1:]
	newDeployment = !had || (old != name && old != value)
	if _, err := EnsureGitignored(dir); err != nil {
		return true, newDeployment, err
	}
	return true, newDeployment, nil
}

// RemoveDeployment deletes CONVEX_DEPLOYMENT from dir/.env.local (used when
// switching to a self-hosted or --url deployment). It reports whether the
// variable was there.
func RemoveDeployment(dir string) (bool, error) {
	f, err := ReadEnvFile(joinDir(dir, EnvLocalFile))
	if err != nil || !f.Delete(DeploymentVar) {
		return false, err
	}
	return true, f.Save()
}

// URLVarsResult tells what WriteURLVars did.
type URLVarsResult struct {
	File     string // the env file considered
	URLVar   string // name written for the URL ("" if not written)
	SiteVar  string // name written for the site URL ("" if not written)
	Warnings []string
}

// Changed reports whether anything was written.
func (r URLVarsResult) Changed() bool { return r.URLVar != "" || r.SiteVar != "" }

// WriteURLVars saves the deployment URL (and the HTTP actions URL when
// siteURL is not empty) to the project's dev env file under the framework's
// names. A name already present in the file is updated in place even if it
// differs from the framework's suggestion. The file is left alone, with a
// warning, when several URL names are present or when the old value is
// shared by another variable (it may be referenced elsewhere).
func WriteURLVars(dir, url, siteURL string) (URLVarsResult, error) {
	fw, err := DetectFramework(dir)
	if err != nil {
		return URLVarsResult{}, err
	}
	path, err := DevEnvFile(dir, fw)
	if err != nil {
		return URLVarsResult{}, err
	}
	f, err := ReadEnvFile(path)
	if err != nil {
		return URLVarsResult{}, err
	}
	res := URLVarsResult{File: path}
	vals := f.Values()
	urlName, okU := resolveURLVar(fw.URLVar, url, path, vals, URLVarNames, &res.Warnings)
	siteName, okS := resolveURLVar(fw.SiteVar, siteURL, path, vals, SiteVarNames, &res.Warnings)
	if !okU || !okS {
		return res, nil
	}
	if urlName != "" {
		if err := f.SetValue(urlName, url, "", ""); err != nil {
			return res, err
		}
		res.URLVar = urlName
	}
	if siteName != "" && siteURL != "" {
		if err := f.SetValue(siteName, siteURL, "", ""); err != nil {
			return res, err
		}
		res.SiteVar = siteName
	}
	return res, f.Save()
}

// resolveURLVar decides which name to write ("" = nothing to do) or refuses
// (false) with a warning.
func resolveURLVar(suggested, value, file string, vals map[string]string, known []string, warnings *[]string) (string, bool) {
	var present []string
	for _, n := range known {
		if _, ok := vals[n]; ok {
			present = append(present, n)
		}
	}
	switch len(present) {
	case 0:
		return suggested, true
	case 1:
	default:
		*warnings = append(*warnings, "Found several "+suggested+"-style variables ("+strings.Join(present, ", ")+") in "+file+"; not updating them automatically.")
		return "", false
	}
	name, old := present[0], vals[present[0]]
	if old == value {
		return "", true
	}
	if old != "" {
		n := 0
		for _, v := range vals {
			if v == old {
				n++
			}
		}
		if n != 1 {
			*warnings = append(*warnings, "Not changing "+name+" in "+file+": its value is also used by another variable. Please edit it by hand.")
			return "", false
		}
	}
	return name, true
}

// gitignoreCovers are the .gitignore lines taken to ignore .env.local.
var gitignoreCovers = []*lazy.Pattern{
	lazy.Regexp(`^\.env\.local$`),
	lazy.Regexp(`^\.env\.\*$`),
	lazy.Regexp(`^\.env\*$`),
	lazy.Regexp(`^.*\.local$`),
	lazy.Regexp(`^\.env\*\.local$`),
}

// EnsureGitignored makes sure dir/.gitignore ignores .env.local, appending
// "\n.env.local\n" (creating the file if needed) unless a non-comment,
// non-negated line already covers it. It reports whether it wrote.
func EnsureGitignored(dir string) (bool, error) {
	path := joinDir(dir, ".gitignore")
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, ui.Wrap(err, "cannot read %s", path)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "#") || strings.HasPrefix(line, "!") {
			continue
		}
		line = strings.TrimRight(line, " \t\r")
		for _, re := range gitignoreCovers {
			if re.Get().MatchString(line) {
				return false, nil
			}
		}
	}
	mode := os.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	}
	if err := WriteFileAtomic(path, append(data, "\n"+EnvLocalFile+"\n"...), mode); err != nil {
		return false, ui.Wrap(err, "cannot write %s", path)
	}
	return true, nil
}

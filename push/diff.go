package push

import (
	"fmt"
	"sort"
	"strings"
)

// FormatIndex renders an index as in the push summary:
// "messages.by_channel   channelId" (plus "  (staged)").
func FormatIndex(ix IndexConfig) string {
	table, name, _ := strings.Cut(ix.Name, ".")
	var fields string
	switch ix.Type {
	case "search":
		fields = "(text)   " + ix.SearchField + filterFields(ix.FilterFields)
	case "vector":
		fields = fmt.Sprintf("(vector)   %s (%d dimensions)%s", ix.VectorField, ix.Dimensions, filterFields(ix.FilterFields))
	default:
		fields = "  " + strings.Join(ix.Fields, ", ")
	}
	s := table + "." + name + " " + fields
	if ix.Staged {
		s += "  (staged)"
	}
	return s
}

func filterFields(f []string) string {
	switch len(f) {
	case 0:
		return ""
	case 1:
		return ", filter on " + f[0]
	}
	return ", filters on " + strings.Join(f, ", ")
}

// printDiff reports what the push changed: the full diff with --verbose,
// otherwise the root component's index changes and component mounts.
func (o *Options) printDiff(sp *StartPushResponse, d *FinishPushDiff) {
	w := o.stderr()
	if o.Verbose {
		fmt.Fprintln(w, redactedJSON(d.Raw, sp.EnvironmentVariables))
		return
	}
	var root *IndexDiff
	if r, ok := sp.SchemaChange.IndexDiffs[""]; ok {
		root = &r
	} else if c, ok := d.ComponentDiffs[""]; ok && c.IndexDiff != nil {
		root = c.IndexDiff
	}
	verb := func(dry, done string) string {
		if o.DryRun {
			return dry
		}
		return done
	}
	block := func(title, mark string, list []IndexConfig, extra func(IndexConfig) string) {
		if len(list) == 0 {
			return
		}
		lines := []string{title}
		for _, ix := range list {
			lines = append(lines, "  "+mark+" "+FormatIndex(ix))
			if extra != nil {
				if e := extra(ix); e != "" {
					lines = append(lines, e)
				}
			}
		}
		o.done(strings.Join(lines, "\n"))
	}
	if root != nil {
		var enabled, staged []IndexConfig
		for _, ix := range root.Added {
			if ix.Staged {
				staged = append(staged, ix)
			} else {
				enabled = append(enabled, ix)
			}
		}
		block(verb("Would delete", "Deleted")+" table indexes:", "[-]", root.Removed, nil)
		block(verb("Would add", "Added")+" table indexes:", "[+]", enabled, nil)
		block(verb("Would add", "Added")+" staged table indexes:", "[+]", staged, func(ix IndexConfig) string {
			table, _, _ := strings.Cut(ix.Name, ".")
			if link := o.dashboardPage("/data?table=" + table + "&showIndexes=true"); link != "" {
				return "      See progress: " + link
			}
			return ""
		})
		block(verb("These indexes would be enabled:", "These indexes are now enabled:"), "[*]", root.Enabled, nil)
		block(verb("These indexes would be staged:", "These indexes are now staged:"), "[*]", root.Disabled, nil)
	}
	paths := make([]string, 0, len(d.ComponentDiffs))
	for p := range d.ComponentDiffs {
		if p != "" {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	for _, p := range paths {
		switch d.ComponentDiffs[p].DiffType.Type {
		case "create":
			o.done("Installed component " + p + ".")
		case "unmount":
			o.done("Unmounted component " + p + ".")
		case "remount":
			o.done("Remounted component " + p + ".")
		}
	}
}

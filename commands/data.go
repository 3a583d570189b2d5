package commands

import (
	"encoding/json"
	"os"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/convex-go/convex/subscribe"
	"github.com/convex-go/convex/ui"
)

func newDataCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:      "data",
		Usage:     "List tables and print data from your database",
		ArgsUsage: "[table]",
		Description: "Look into your deployment's database. By default this reads your dev deployment.\n\n" +
			"• List the tables: convex data\n" +
			"• Print the newest documents of a table: convex data messages\n\n" +
			"System tables such as _storage work too.",
		Flags: withFlags([]cli.Flag{
			valueFlag("limit", "n", "Print at most n documents (the most recently created).").Default("100").Check(positiveInt),
			valueFlag("order", "choice", "Order documents by creation time.").Default("desc").OneOf("asc", "desc"),
			componentFlag(),
			valueFlag("format", "format", "How to print documents: jsonArray (or json) is one JSON array; jsonLines (or jsonl) is one object per line; pretty is a table for people.").
				OneOf("jsonArray", "json", "jsonLines", "jsonl", "pretty"),
		}, selectionFlags("Inspect the database in", false)),
		Action: d.data,
	}
}

func (d *Deps) data(c *cli.Context) error {
	limit := 100
	if v := c.String("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return ui.Usage("--limit must be a positive number, got %q", v)
		}
		limit = n
	}
	order := c.String("order")
	if order == "" {
		order = "desc"
	}
	t, err := d.requireTarget(c, "data")
	if err != nil {
		return err
	}
	sc, err := d.openSync(c.Context, t, nil)
	if err != nil {
		return err
	}
	defer sc.Close()
	component := c.String("component")

	table := c.Args().First()
	if table == "" {
		items, err := d.paginatedQuery(c.Context, sc, t, "_system/cli/tables", nil, component, 0)
		if err != nil {
			return err
		}
		if len(items) == 0 {
			where := ""
			if t.Name != "" {
				where = d.Out.Paint(t.Name, ui.Bold) + " deployment's "
			}
			d.Out.Message("There are no tables in the %sdatabase.", where)
			return nil
		}
		names := make([]string, 0, len(items))
		for _, raw := range items {
			var tbl struct {
				Name string `json:"name"`
			}
			if err := json.Unmarshal(raw, &tbl); err != nil {
				return ui.Errorf("Unexpected table entry from the deployment: %s", raw)
			}
			names = append(names, tbl.Name)
		}
		sort.Strings(names)
		d.Out.Result("%s", strings.Join(names, "\n"))
		return nil
	}

	// One more than asked for tells whether there are more.
	items, err := d.paginatedQuery(c.Context, sc, t, "_system/cli/tableData",
		map[string]any{"table": table, "order": order}, component, limit+1)
	if err != nil {
		return err
	}
	if len(items) == 0 {
		d.Out.Message("There are no documents in this table.")
		return nil
	}
	more := len(items) > limit
	if more {
		items = items[:limit]
	}
	docs := make([]subscribe.Object, 0, len(items))
	for _, raw := range items {
		v, err := subscribe.Decode(raw)
		if err != nil {
			return ui.Wrap(err, "Unexpected document from the deployment")
		}
		obj, ok := v.(subscribe.Object)
		if !ok {
			return ui.Errorf("Unexpected document from the deployment: %s", raw)
		}
		docs = append(docs, obj)
	}
	switch c.String("format") {
	case "json", "jsonArray":
		lines := make([]string, len(docs))
		for i, doc := range docs {
			lines[i] = subscribe.Display(doc)
		}
		d.Out.Result("[\n%s\n]", strings.Join(lines, ",\n"))
	case "jsonl", "jsonLines":
		for _, doc := range docs {
			d.Out.Result("%s", subscribe.Display(doc))
		}
	default:
		d.printDocumentTable(docs)
		if more {
			which := "most recently"
			if order == "asc" {
				which = "oldest"
			}
			plural := ""
			if limit > 1 {
				plural = "s"
			}
			d.Out.Warn("Showing the %d %s created document%s. Use the --limit option to see more.", limit, which, plural)
		}
	}
	return nil
}

// printDocumentTable prints documents as a table: _id, _creationTime, then
// the other fields in name order, cells padded to the widest value. On a
// terminal, lines are cut to its width.
func (d *Deps) printDocumentTable(docs []subscribe.Object) {
	widths := map[string]int{}
	rows := make([]map[string]string, len(docs))
	for i, doc := range docs {
		rows[i] = map[string]string{}
		for _, f := range doc {
			s := subscribe.Display(f.Value)
			rows[i][f.Key] = s
			widths[f.Key] = max(widths[f.Key], jsLen(s))
		}
	}
	var others []string
	for k := range widths {
		if k != "_id" && k != "_creationTime" {
			others = append(others, k)
		}
	}
	sort.Strings(others)
	fields := append([]string{"_id", "_creationTime"}, others...)
	lineLimit := 0
	if f, ok := d.Stdout.(*os.File); ok && ui.IsTerminal(f) {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 10 {
			lineLimit = w - 10
		}
	}
	truncated := false
	emit := func(cells []string, sep string) {
		line := strings.Join(cells, sep)
		if lineLimit > 0 && jsLen(line) > lineLimit {
			truncated = true
			line = cutJS(line, lineLimit)
		}
		d.Out.Result("%s", line)
	}
	header := make([]string, len(fields))
	dashes := make([]string, len(fields))
	for i, f := range fields {
		header[i] = padJS(f, widths[f])
		dashes[i] = strings.Repeat("-", widths[f])
	}
	emit(header, " | ")
	emit(dashes, "-|-")
	for _, row := range rows {
		cells := make([]string, len(fields))
		for i, f := range fields {
			cells[i] = padJS(row[f], widths[f])
		}
		emit(cells, " | ")
	}
	if truncated {
		d.Out.Warn("Lines were truncated to fit the terminal width. Pipe the command to see the full output, such as:\n  `convex data tableName | less -S`")
	}
}

// jsLen is a string's length in UTF-16 units, the unit other Convex tools
// pad by, so columns line up the same way.
func jsLen(s string) int { return len(utf16.Encode([]rune(s))) }

func padJS(s string, width int) string {
	if n := jsLen(s); n < width {
		return s + strings.Repeat(" ", width-n)
	}
	return s
}

// cutJS keeps the first n UTF-16 units of s (never splitting a character).
func cutJS(s string, n int) string {
	used := 0
	for i, r := range s {
		w := 1
		if r > 0xFFFF {
			w = 2
		}
		if used+w > n {
			return s[:i]
		}
		used += w
	}
	return s
}

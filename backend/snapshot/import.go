package snapshot

import (
	"fmt"
	"strings"

	"github.com/convex-go/convex/backend/store"
	"github.com/convex-go/convex/backend/values"
)

// Mode says what happens to data already in the tables an import writes.
type Mode string

const (
	ModeRequireEmpty Mode = "requireEmpty" // refuse unless every target table is empty
	ModeAppend       Mode = "append"       // add to what is there
	ModeReplace      Mode = "replace"      // empty the target tables first
	ModeReplaceAll   Mode = "replaceAll"   // empty every table first
)

// ParseMode checks a mode name; empty means requireEmpty.
func ParseMode(s string) (Mode, error) {
	switch Mode(s) {
	case "":
		return ModeRequireEmpty, nil
	case ModeRequireEmpty, ModeAppend, ModeReplace, ModeReplaceAll:
		return Mode(s), nil
	}
	return "", fmt.Errorf("unknown import mode %q: expected requireEmpty, append, replace or replaceAll", s)
}

// Change is what an import does to one table.
type Change struct {
	Table    string
	Existing int64 // documents before the import
	Deleted  int64
	Added    int
}

// Plan describes the effect of importing p with mode on the data read in
// tx, or fails when mode forbids it (requireEmpty with a non-empty table).
func Plan(tx *store.Tx, p *Parsed, mode Mode) ([]Change, error) {
	counts, err := tableCounts(tx)
	if err != nil {
		return nil, err
	}
	var out []Change
	seen := map[string]bool{}
	add := func(name string, n int) error {
		c := Change{Table: name, Existing: counts[name], Added: n}
		switch mode {
		case ModeRequireEmpty:
			if c.Existing > 0 {
				return fmt.Errorf("table %q already has %d documents; import with --replace to replace them, --append to add to them, or --replace-all to replace all tables", name, c.Existing)
			}
		case ModeReplace, ModeReplaceAll:
			c.Deleted = c.Existing
		}
		seen[name] = true
		out = append(out, c)
		return nil
	}
	if p.HasStorage {
		if err := add(store.StorageName, len(p.Storage)); err != nil {
			return nil, err
		}
	}
	for _, t := range p.Tables {
		if seen[t.Name] {
			return nil, fmt.Errorf("table %q appears twice in the import", t.Name)
		}
		if err := add(t.Name, len(t.Docs)); err != nil {
			return nil, err
		}
	}
	if mode == ModeReplaceAll {
		tables, err := tx.SnapshotTables()
		if err != nil {
			return nil, err
		}
		for _, t := range tables {
			if !t.System && !seen[t.Name] && t.Count > 0 {
				out = append(out, Change{Table: t.Name, Existing: t.Count, Deleted: t.Count})
			}
		}
	}
	return out, nil
}

func tableCounts(tx *store.Tx) (map[string]int64, error) {
	tables, err := tx.SnapshotTables()
	if err != nil {
		return nil, err
	}
	m := map[string]int64{}
	for _, t := range tables {
		m[t.Name] = t.Count
	}
	return m, nil
}

// Summary renders a plan for the confirmation prompt.
func Summary(changes []Change) string {
	rows := [][3]string{{"table", "create", "delete"}}
	for _, c := range changes {
		rows = append(rows, [3]string{c.Table, fmt.Sprint(c.Added), fmt.Sprintf("%d of %d", c.Deleted, c.Existing)})
	}
	var w [3]int
	for _, r := range rows {
		for i, s := range r {
			w[i] = max(w[i], len(s))
		}
	}
	var b strings.Builder
	b.WriteString("Import change summary:\n")
	for i, r := range rows {
		fmt.Fprintf(&b, "%-*s | %-*s | %-*s |\n", w[0], r[0], w[1], r[1], w[2], r[2])
		if i == 0 {
			b.WriteString(strings.Repeat("-", w[0]+w[1]+w[2]+8) + "\n")
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// Apply writes p into tx following mode and returns the number of
// documents written. On error the caller rolls tx back, so nothing of the
// import remains; errors name the table and the row (1-based).
func Apply(tx *store.Tx, p *Parsed, mode Mode) (int, error) {
	changes, err := Plan(tx, p, mode)
	if err != nil {
		return 0, err
	}
	for _, c := range changes {
		if c.Deleted > 0 {
			if _, err := tx.SnapshotClear(c.Table); err != nil {
				return 0, fmt.Errorf("clear table %q: %w", c.Table, err)
			}
		}
	}
	written := 0
	for i, f := range p.Storage {
		if _, err := tx.SnapshotInsertBlob(f.Doc, f.Data); err != nil {
			return 0, fmt.Errorf("_storage, file %d: %w", i+1, err)
		}
		written++
	}
	for _, t := range p.Tables {
		want := t.Number
		if want == 0 {
			want = idTableNumber(t)
		}
		if _, _, err := tx.SnapshotEnsureTable(t.Name, want); err != nil {
			return 0, fmt.Errorf("table %q: %w", t.Name, err)
		}
		for i, d := range t.Docs {
			if _, err := tx.SnapshotInsert(t.Name, d); err != nil {
				return 0, fmt.Errorf("table %q, row %d: %w", t.Name, i+1, err)
			}
			written++
		}
	}
	return written, nil
}

// idTableNumber is the table number of the first document's _id, so that a
// table exported on its own keeps its ids when imported into a new table.
func idTableNumber(t *Table) uint32 {
	if len(t.Docs) == 0 {
		return 0
	}
	id, _ := t.Docs[0]["_id"].(string)
	if id == "" {
		return 0
	}
	n, ok := values.IDTable(id)
	if !ok {
		return 0
	}
	return n
}

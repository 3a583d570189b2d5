package push

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// IndexDeletionCheck configures the check deploy runs before pushing to an
// existing deployment: deleting an index on a large table is easy to do by
// accident and slow to undo.
type IndexDeletionCheck struct {
	// Allowed (--allow-deleting-large-indexes) lists the deletions and
	// proceeds without asking.
	Allowed bool
	// Confirm asks the user; nil means no terminal to ask on.
	Confirm func(question string) (bool, error)
	// MinDocuments is the table size that counts as large (default 100000).
	MinDocuments int64
}

type deletedIndex struct {
	componentPath string
	index         IndexConfig
	documents     int64
	replacedBy    *IndexConfig
}

// checkIndexDeletion lists the indexes the push deletes, with the size of
// their tables, and stops unless the user (or a flag) agrees to delete
// large ones.
func (o *Options) checkIndexDeletion(ctx context.Context, c *Client, t *trace, req StartPushRequest) error {
	chk := o.IndexDeletionCheck
	o.step("Verifying that the push isn’t deleting large indexes...")
	deleted, err := deletedIndexes(ctx, c, t, req)
	if err != nil {
		return err
	}
	if len(deleted) == 0 {
		o.done("No indexes are deleted by this push")
		return nil
	}
	min := chk.MinDocuments
	if min <= 0 {
		min = 100_000
	}
	large := false
	for _, d := range deleted {
		if d.documents >= min {
			large = true
		}
	}
	if !large {
		o.done("No large indexes are deleted by this push")
		return nil
	}
	noun := "indexes"
	if len(deleted) == 1 {
		noun = "index"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "⚠️  This code push will delete the following %s\nfrom your production deployment (%s):\n", noun, c.URL)
	for _, d := range deleted {
		b.WriteString("⛔ ")
		if d.componentPath != "" {
			b.WriteString(d.componentPath + ":")
		}
		b.WriteString(FormatIndex(d.index))
		switch {
		case d.documents >= min:
			fmt.Fprintf(&b, "  ⚠️  %s documents", groupDigits(d.documents))
		case d.documents == 1:
			b.WriteString("  1 document")
		default:
			fmt.Fprintf(&b, "  %s documents", groupDigits(d.documents))
		}
		if d.replacedBy != nil {
			b.WriteString("\n   → replaced by: " + FormatIndex(*d.replacedBy))
		}
		b.WriteString("\n")
	}
	b.WriteString("The documents in the index are not deleted, but the index has to be\nbackfilled again if you restore it later.\n")
	fmt.Fprint(o.stderr(), b.String())
	if chk.Allowed {
		o.done("Proceeding with push since deleting large indexes was allowed by flag")
		return nil
	}
	if chk.Confirm == nil {
		return &Error{Kind: Fatal, Msg: "To confirm the push:\n• run the deploy command in an interactive terminal\n• or run the deploy command with the --skip-large-indexes-check flag"}
	}
	q := "Delete these indexes?"
	if len(deleted) == 1 {
		q = "Delete this index?"
	}
	ok, err := chk.Confirm(q)
	if err != nil {
		return err
	}
	if !ok {
		return &Error{Kind: Fatal, Msg: "Canceling push"}
	}
	o.done("Proceeding with push.")
	return nil
}

func groupDigits(n int64) string {
	s := fmt.Sprint(n)
	var out []string
	for len(s) > 3 {
		out = append([]string{s[len(s)-3:]}, out...)
		s = s[:len(s)-3]
	}
	return strings.Join(append([]string{s}, out...), ",")
}

// deletedIndexes asks evaluate_schema (one call, best effort) and falls
// back to evaluate_push plus a table-size query per affected table.
func deletedIndexes(ctx context.Context, c *Client, t *trace, req StartPushRequest) ([]deletedIndex, error) {
	span := t.child("checkForLargeIndexDeletion")
	defer span.end()
	var eval struct {
		ComponentSchemaEvaluations map[string]struct {
			Indexes []struct {
				IndexConfig
				Change  string `json:"change"`
				NumDocs int64  `json:"numDocs"`
			} `json:"indexes"`
		} `json:"componentSchemaEvaluations"`
	}
	err := c.Do(ctx, Request{Path: "/api/deploy2/evaluate_schema", Body: req, Brotli: true, BestEffort: true, Traceparent: span.traceparent()}, &eval)
	if err == nil {
		var out []deletedIndex
		paths := make([]string, 0, len(eval.ComponentSchemaEvaluations))
		for p := range eval.ComponentSchemaEvaluations {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		for _, p := range paths {
			ixs := eval.ComponentSchemaEvaluations[p].Indexes
			for _, ix := range ixs {
				if ix.Change != "dropped" {
					continue
				}
				d := deletedIndex{componentPath: p, index: ix.IndexConfig, documents: ix.NumDocs}
				for _, other := range ixs {
					if other.Change == "added" && other.Name == ix.Name {
						o := other.IndexConfig
						d.replacedBy = &o
					}
				}
				out = append(out, d)
			}
		}
		return out, nil
	}
	var ev struct {
		SchemaChange struct {
			IndexDiffs map[string]IndexDiff `json:"indexDiffs"`
		} `json:"schemaChange"`
	}
	if err := c.Do(ctx, Request{Path: "/api/deploy2/evaluate_push", Body: req, Brotli: true, Traceparent: span.traceparent()}, &ev); err != nil {
		return nil, err
	}
	var out []deletedIndex
	sizes := map[string]int64{}
	paths := make([]string, 0, len(ev.SchemaChange.IndexDiffs))
	for p := range ev.SchemaChange.IndexDiffs {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		diff := ev.SchemaChange.IndexDiffs[p]
		for _, ix := range diff.Removed {
			table, _, _ := strings.Cut(ix.Name, ".")
			key := p + ":" + table
			n, ok := sizes[key]
			if !ok {
				res, err := c.call(ctx, "/api/query", "_system/cli/tableSize:default", map[string]string{"tableName": table}, p, nil)
				if err != nil {
					return nil, err
				}
				n = convexInt(res.Value)
				sizes[key] = n
			}
			d := deletedIndex{componentPath: p, index: ix, documents: n}
			for _, a := range diff.Added {
				if a.Name == ix.Name {
					a := a
					d.replacedBy = &a
				}
			}
			out = append(out, d)
		}
	}
	return out, nil
}

// convexInt reads a number or a Convex-encoded int64 ({"$integer": b64}).
func convexInt(v json.RawMessage) int64 {
	var f float64
	if json.Unmarshal(v, &f) == nil {
		return int64(f)
	}
	var enc struct {
		Integer string `json:"$integer"`
	}
	if json.Unmarshal(v, &enc) == nil && enc.Integer != "" {
		if b, err := base64.StdEncoding.DecodeString(enc.Integer); err == nil && len(b) == 8 {
			return int64(binary.LittleEndian.Uint64(b))
		}
	}
	return 0
}

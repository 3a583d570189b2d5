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
	// NoDeletionCheck skips the deletion check (preview deployments).
	NoDeletionCheck bool
	// Backfill also warns about new (non-staged) indexes on large tables,
	// which hold the push until they are built; BackfillAllowed
	// (--skip-large-indexes-check) proceeds without asking, and
	// BackfillMinDocuments is the size that counts (default 100000).
	Backfill             bool
	BackfillAllowed      bool
	BackfillMinDocuments int64
	// StagedValidators asks before the push discards staged schema
	// validation; UnstagingAllowed (--allow-unstaging-schema) proceeds.
	StagedValidators bool
	UnstagingAllowed bool
}

// schemaEvaluation is the evaluate_schema answer (nil when unsupported).
type schemaEvaluation struct {
	ComponentSchemaEvaluations map[string]struct {
		Indexes []struct {
			IndexConfig
			Change        string `json:"change"`
			NumDocs       int64  `json:"numDocs"`
			NeedsBackfill bool   `json:"needsBackfill"`
		} `json:"indexes"`
		DiscardedStagedValidators []struct {
			TableName string `json:"tableName"`
			State     struct {
				State            string `json:"state"` // pending | valid
				NumDocsValidated int64  `json:"numDocsValidated"`
				TotalDocs        *int64 `json:"totalDocs"`
			} `json:"state"`
			Replaced bool `json:"replaced"`
		} `json:"discardedStagedValidators"`
	} `json:"componentSchemaEvaluations"`
}

// componentPaths lists the evaluated components' paths in order, so that
// what the checks print does not depend on map order.
func (e *schemaEvaluation) componentPaths() []string {
	paths := make([]string, 0, len(e.ComponentSchemaEvaluations))
	for p := range e.ComponentSchemaEvaluations {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return paths
}

// checkStagedValidators asks before the push throws away staged schema
// validation (restaging starts the scan over).
func (o *Options) checkStagedValidators(ctx context.Context, c *Client, t *trace, req StartPushRequest) error {
	chk := o.IndexDeletionCheck
	eval := o.evaluateSchema(ctx, c, t, req)
	if eval == nil {
		return nil
	}
	var lines []string
	for _, p := range eval.componentPaths() {
		for _, v := range eval.ComponentSchemaEvaluations[p].DiscardedStagedValidators {
			status := "validated"
			if v.State.State == "pending" {
				if v.State.TotalDocs != nil {
					status = fmt.Sprintf("validating in the background (%s of approximately %s documents checked)", groupDigits(v.State.NumDocsValidated), groupDigits(*v.State.TotalDocs))
				} else {
					status = fmt.Sprintf("validating in the background (%s documents checked)", groupDigits(v.State.NumDocsValidated))
				}
			}
			action := "the push removes the staged validator"
			if v.Replaced {
				action = "the push stages a different validator"
			}
			prefix := ""
			if p != "" {
				prefix = p + ":"
			}
			lines = append(lines, fmt.Sprintf("⛔ %s%s: %s; %s", prefix, v.TableName, status, action))
		}
	}
	if len(lines) == 0 {
		return nil
	}
	verb, noun := "discards", "tables"
	if o.DryRun {
		verb = "would discard"
	}
	if len(lines) == 1 {
		noun = "table"
	}
	fmt.Fprintf(o.stderr(), "⚠️  This push %s staged schema validation for the following %s:\n%s\nA discarded staged validator restarts validation from zero if staged again.\n", verb, noun, strings.Join(lines, "\n"))
	if o.DryRun {
		return nil
	}
	q := "Discard staged validation for these tables?"
	if len(lines) == 1 {
		q = "Discard staged validation for this table?"
	}
	return o.confirmPush(chk.UnstagingAllowed, "Proceeding with push since --allow-unstaging-schema is set", "--allow-unstaging-schema", q)
}

// confirmPush goes on when a flag allowed what a check found (saying
// allowedMsg), and otherwise asks question, or fails naming flag when there
// is no terminal to ask on.
func (o *Options) confirmPush(allowed bool, allowedMsg, flag, question string) error {
	if allowed {
		o.done(allowedMsg)
		return nil
	}
	confirm := o.IndexDeletionCheck.Confirm
	if confirm == nil {
		return &Error{Kind: Fatal, Msg: "To confirm the push:\n• run the deploy command in an interactive terminal\n• or run the deploy command with the " + flag + " flag"}
	}
	ok, err := confirm(question)
	if err != nil {
		return err
	}
	if !ok {
		return &Error{Kind: Fatal, Msg: "Canceling push"}
	}
	o.done("Proceeding with push.")
	return nil
}

// evaluateSchema asks the deployment once per push what the push would do
// to the schema (best effort: nil when it cannot say).
func (o *Options) evaluateSchema(ctx context.Context, c *Client, t *trace, req StartPushRequest) *schemaEvaluation {
	if o.evaluated {
		return o.evaluation
	}
	o.evaluated = true
	span := t.child("evaluateSchema")
	defer span.end()
	var eval schemaEvaluation
	if err := c.Do(ctx, Request{Path: "/api/deploy2/evaluate_schema", Body: req, Brotli: true, BestEffort: true, Traceparent: span.traceparent()}, &eval); err != nil {
		return nil
	}
	o.evaluation = &eval
	return o.evaluation
}

// checkIndexBackfill lists the non-staged indexes the push creates or
// enables on large tables (the push waits for their backfill) and asks
// before going on.
func (o *Options) checkIndexBackfill(ctx context.Context, c *Client, t *trace, req StartPushRequest) error {
	chk := o.IndexDeletionCheck
	o.step("Verifying that the push isn’t creating large indexes...")
	eval := o.evaluateSchema(ctx, c, t, req)
	if eval == nil {
		return nil
	}
	min := chk.BackfillMinDocuments
	if min <= 0 {
		min = 100_000
	}
	type blocking struct {
		path string
		ix   IndexConfig
		docs int64
	}
	var found []blocking
	for _, p := range eval.componentPaths() {
		for _, ix := range eval.ComponentSchemaEvaluations[p].Indexes {
			if ix.NeedsBackfill && !ix.Staged && (ix.Change == "added" || ix.Change == "enabled") && ix.NumDocs >= min {
				found = append(found, blocking{p, ix.IndexConfig, ix.NumDocs})
			}
		}
	}
	if len(found) == 0 {
		return nil
	}
	plural := len(found) != 1
	var b strings.Builder
	what, until := "index on a large table", "it finishes"
	if plural {
		what, until = "indexes on large tables", "they finish"
	}
	fmt.Fprintf(&b, "⚠️  This push will create the following %s\nin your deployment (%s). The deploy will block until %s backfilling:\n", what, c.URL, until)
	for _, f := range found {
		b.WriteString("⏳ ")
		if f.path != "" {
			b.WriteString(f.path + ":")
		}
		fmt.Fprintf(&b, "%s  %s documents\n", FormatIndex(f.ix), groupDigits(f.docs))
	}
	b.WriteString("Tip: stage the index (e.g. `.index(\"by_field\", { fields: [\"field\"], staged: true })`) to backfill\n" +
		"it in the background without blocking the deploy, then remove `staged` in a later push once it is ready.\n" +
		"Learn more at https://docs.convex.dev/database/reading-data/indexes#staged-indexes\n")
	fmt.Fprint(o.stderr(), b.String())
	if o.DryRun {
		return nil
	}
	q := "Create this index now?"
	if plural {
		q = "Create these indexes now?"
	}
	return o.confirmPush(chk.BackfillAllowed, "Proceeding with push since --skip-large-indexes-check is set", "--skip-large-indexes-check", q)
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
	deleted, err := deletedIndexes(ctx, c, t, req, o.evaluateSchema(ctx, c, t, req))
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
	q := "Delete these indexes?"
	if len(deleted) == 1 {
		q = "Delete this index?"
	}
	return o.confirmPush(chk.Allowed, "Proceeding with push since deleting large indexes was allowed by flag", "--skip-large-indexes-check", q)
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

// deletedIndexes reads the dropped indexes from the schema evaluation, or
// falls back to evaluate_push plus a table-size query per affected table.
func deletedIndexes(ctx context.Context, c *Client, t *trace, req StartPushRequest, eval *schemaEvaluation) ([]deletedIndex, error) {
	span := t.child("checkForLargeIndexDeletion")
	defer span.end()
	if eval != nil {
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

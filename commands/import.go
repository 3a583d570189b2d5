package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/convex-go/convex/auth"
	"github.com/convex-go/convex/deployments"
	"github.com/convex-go/convex/push"
	"github.com/convex-go/convex/subscribe"
	"github.com/convex-go/convex/ui"
)

func newImportCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:      "import",
		Usage:     "Import data from a file to your deployment",
		ArgsUsage: "<path>",
		Description: "Load documents from a file into your deployment's tables. By default this imports into your dev deployment.\n\n" +
			"• A whole snapshot (the ZIP that `convex export` or the dashboard makes): convex import snapshot.zip\n" +
			"• One table from CSV, JSON or JSON lines: convex import --table messages messages.jsonl\n\n" +
			"By default it refuses to write into tables that already hold documents; choose --append, --replace or --replace-all. " +
			"Guide: https://docs.convex.dev/database/import-export/import",
		Flags: withFlags([]cli.Flag{
			valueFlag("table", "table", "Table to import into. Required for csv, jsonLines and jsonArray files; not allowed for zip."),
			boolFlag("replace", "Replace the existing documents of every table in the file."),
			boolFlag("append", "Add the documents to the tables, keeping what is there."),
			boolFlag("replace-all", "Make the deployment hold exactly the file's data: tables missing from the file are deleted (or emptied when the schema declares them)."),
			shortBool("yes", "y", "Do not ask before deleting existing documents."),
			valueFlag("format", "format", "File format, needed only when the file name has no telling extension. CSV needs a header row (values become numbers or strings); jsonArray is one array of objects; jsonLines is one object per line; zip holds <table>/documents.jsonl per table.").
				OneOf("csv", "jsonLines", "jsonArray", "zip"),
			componentFlag(),
		}, selectionFlags("Import data into", false)),
		Action: d.importData,
	}
}

// importFormats maps each import format to its file extension.
var importFormats = map[string]string{"csv": ".csv", "jsonLines": ".jsonl", "jsonArray": ".json", "zip": ".zip"}

// importFormat decides the file format from --format and the extension.
func (d *Deps) importFormat(path, format string) (string, error) {
	ext := filepath.Ext(path)
	if ext != "" {
		if format != "" && ext != importFormats[format] {
			d.Out.Warn("Warning: Extension of file %s (%s) does not match specified format: %s (%s).", path, ext, format, importFormats[format])
		}
		if format == "" {
			for f, e := range importFormats {
				if e == ext {
					format = f
				}
			}
		}
	}
	if format == "" {
		return "", ui.Errorf("No input file format inferred by the filename extension or specified.").
			WithHint("Give the file's format with --format (csv, jsonLines, jsonArray or zip).")
	}
	return format, nil
}

func (d *Deps) importData(c *cli.Context) error {
	if err := push.CheckConvexDependency(d.Cwd, "import"); err != nil {
		return d.pushErr(err)
	}
	path := c.Args().First()
	full := path
	if !filepath.IsAbs(full) {
		full = filepath.Join(d.Cwd, path)
	}
	st, err := os.Stat(full)
	if err != nil {
		return ui.Errorf("Error: Path %s does not exist.", d.Out.Paint(path, ui.Bold))
	}
	if st.IsDir() {
		return ui.Errorf("Error: Path %s is a directory, not a file.", d.Out.Paint(path, ui.Bold))
	}
	format, err := d.importFormat(path, c.String("format"))
	if err != nil {
		return err
	}
	table := c.String("table")
	switch {
	case table == "" && format != "zip":
		return ui.Errorf("Error: The `--table` option is required for format %s", format)
	case table != "" && format == "zip":
		return ui.Errorf("Error: The `--table` option is not allowed for format %s", format)
	}
	mode := "requireEmpty"
	switch {
	case c.Bool("append"):
		mode = "append"
	case c.Bool("replace"):
		mode = "replace"
	case c.Bool("replace-all"):
		mode = "replaceAll"
	}
	yes := c.Bool("yes")

	t, err := d.requireTarget(c, "import")
	if err != nil {
		return err
	}
	link := snapshotsLink(d, t)
	if err := d.checkOngoingImports(c.Context, t, link, yes); err != nil {
		return err
	}

	tableNotice := ""
	if table != "" {
		tableNotice = fmt.Sprintf(" to table %q", table)
	}
	notice := ""
	if t.Kind == deployments.KindProd {
		notice = " in your " + d.Out.Paint("prod", ui.Bold) + " deployment"
	}
	failed := fmt.Sprintf("Importing data from %q%s%s failed", path, tableNotice, notice)

	spin := d.Out.Spinner(fmt.Sprintf("Importing %s (%s)", path, formatSize(float64(st.Size()))))
	defer spin.Stop()
	req := map[string]any{"mode": mode, "format": format}
	if table != "" {
		req["tableName"] = table
	}
	if comp := c.String("component"); comp != "" {
		req["componentPath"] = comp
	}
	importID, err := d.uploadImport(c.Context, t, full, path, st.Size(), req, spin)
	if err != nil {
		spin.Fail("%s", failed)
		return err
	}
	spin.Update("Parsing uploaded data")

	sc, err := d.openSync(c.Context, t, nil)
	if err != nil {
		return err
	}
	defer sc.Close()
	checkpoints := 0
	for {
		state, err := d.waitImport(c.Context, sc, t, importID, spin, &checkpoints)
		if err != nil {
			spin.Fail("%s", failed)
			return err
		}
		switch state.state {
		case "completed":
			spin.Stop()
			d.Out.Success("Added %s documents%s%s.", state.rowsWritten, tableNotice, notice)
			return nil
		case "failed":
			spin.Stop()
			return ui.Errorf("%s\n\n%s", failed, d.Out.Paint(state.errorMessage, ui.Red))
		case "waiting_for_confirmation":
			spin.Stop()
			if state.messageToConfirm != "" {
				d.Out.Message("%s", state.messageToConfirm)
				if state.requireConfirmation && !yes {
					ok, err := auth.WithAnswer(d.prompter(), "--yes").Confirm("Perform import?", true)
					if err != nil {
						return err
					}
					if !ok {
						return ui.Errorf("Import canceled")
					}
				}
			}
			spin = d.Out.Spinner("Importing")
			if err := d.deploymentClient(t).Do(c.Context, http.MethodPost, "/api/perform_import", map[string]string{"importId": importID}, nil); err != nil {
				spin.Fail("%s", failed)
				return err
			}
		}
	}
}

// snapshotsLink is the dashboard page of the deployment's snapshot imports
// and exports; "" for deployments without one (local, self-hosted).
func snapshotsLink(d *Deps, t deployments.Target) string {
	switch t.Kind {
	case deployments.KindProd, deployments.KindDev, deployments.KindPreview, deployments.KindCustom:
		if t.Name != "" {
			return deployments.DashboardURL(d.Env, "", "", t.Name) + "/settings/snapshots"
		}
	}
	return ""
}

// checkOngoingImports asks before starting a second import while one runs.
func (d *Deps) checkOngoingImports(ctx context.Context, t deployments.Target, link string, yes bool) error {
	var resp struct {
		Status       string          `json:"status"`
		Value        json.RawMessage `json:"value"`
		ErrorMessage string          `json:"errorMessage"`
	}
	body := map[string]any{"path": "_system/cli/queryImport:list", "format": "convex_encoded_json", "args": []any{map[string]any{}}}
	if err := d.deploymentClient(t).Do(ctx, http.MethodPost, "/api/query", body, &resp); err != nil {
		return err
	}
	if resp.Status != "success" {
		return ui.Errorf("Could not list the deployment's imports: %s", resp.ErrorMessage)
	}
	var imports []struct {
		State struct {
			State string `json:"state"`
		} `json:"state"`
	}
	if err := json.Unmarshal(resp.Value, &imports); err != nil {
		return ui.Errorf("Unexpected list of imports from the deployment: %v", err)
	}
	ongoing := false
	for _, imp := range imports {
		ongoing = ongoing || imp.State.State == "in_progress"
	}
	if !ongoing {
		return nil
	}
	where := ""
	if link != "" {
		where = " You can view its progress at " + link + "."
	}
	d.Out.Message("There is already a snapshot import in progress.%s", where)
	if yes {
		return nil
	}
	ok, err := auth.WithAnswer(d.prompter(), "--yes").Confirm("Start another import?", true)
	if err != nil {
		return err
	}
	if !ok {
		return ui.Errorf("Import canceled")
	}
	return nil
}

// importChunkSize is the upload part size: 5 MiB (the backend's minimum
// for all parts but the last) or CONVEX_IMPORT_CHUNK_SIZE, raised so that
// no file needs more than 9999 parts.
func (d *Deps) importChunkSize(size int64) int64 {
	chunk := int64(5 << 20)
	if v := d.Env.Get("CONVEX_IMPORT_CHUNK_SIZE"); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
			chunk = n
		} else {
			d.Out.Warn("Ignoring CONVEX_IMPORT_CHUNK_SIZE=%q: not a positive number of bytes.", v)
		}
	}
	if min := (size + 9998) / 9999; chunk < min {
		chunk = min
	}
	return chunk
}

// uploadImport sends the file in parts and registers the import; it
// returns the import's id.
func (d *Deps) uploadImport(ctx context.Context, t deployments.Target, full, shown string, size int64, importReq map[string]any, spin *ui.Spinner) (string, error) {
	dc := d.deploymentClient(t)
	var start struct {
		UploadToken string `json:"uploadToken"`
	}
	if err := dc.Do(ctx, http.MethodPost, "/api/import/start_upload", nil, &start); err != nil {
		return "", err
	}
	if start.UploadToken == "" {
		return "", ui.Errorf("The deployment did not return an upload token")
	}
	f, err := os.Open(full)
	if err != nil {
		return "", ui.Wrap(err, "Cannot read %s", shown)
	}
	defer f.Close()
	buf := make([]byte, d.importChunkSize(size))
	var parts []json.RawMessage
	var done int64
	for part := 1; ; part++ {
		n, err := io.ReadFull(f, buf)
		if n == 0 && (err == io.EOF || err == io.ErrUnexpectedEOF) {
			break
		}
		if err != nil && err != io.ErrUnexpectedEOF {
			return "", ui.Wrap(err, "Cannot read %s", shown)
		}
		chunk := buf[:n]
		if part == 1 {
			chunk = bytes.TrimPrefix(chunk, []byte("\xef\xbb\xbf"))
		}
		q := "/api/import/upload_part?uploadToken=" + url.QueryEscape(start.UploadToken) + "&partNumber=" + strconv.Itoa(part)
		resp, rerr := d.rawRequest(ctx, t, http.MethodPost, q, "application/octet-stream", chunk)
		if rerr != nil {
			return "", rerr
		}
		tok, rerr := io.ReadAll(resp.Body)
		resp.Body.Close()
		if rerr != nil || !json.Valid(tok) {
			return "", ui.Errorf("Unexpected answer to upload part %d: %q", part, tok)
		}
		parts = append(parts, json.RawMessage(tok))
		done += int64(n)
		spin.Update("Uploading %s (%s/%s) %s", shown, formatSize(float64(done)), formatSize(float64(size)), progressBar(done, size, 20))
		if err == io.ErrUnexpectedEOF {
			break
		}
	}
	if parts == nil {
		parts = []json.RawMessage{}
	}
	var finish struct {
		ImportID string `json:"importId"`
	}
	body := map[string]any{"import": importReq, "uploadToken": start.UploadToken, "partTokens": parts}
	if err := dc.Do(ctx, http.MethodPost, "/api/import/finish_upload", body, &finish); err != nil {
		return "", err
	}
	if finish.ImportID == "" {
		return "", ui.Errorf("The deployment did not return an import id")
	}
	return finish.ImportID, nil
}

// progressBar draws "[=====     ] 50%" for done out of total.
func progressBar(done, total int64, width int) string {
	if total <= 0 {
		total, done = 1, 1
	}
	filled := int(int64(width) * done / total)
	return "[" + strings.Repeat("=", filled) + strings.Repeat(" ", width-filled) + "] " + strconv.FormatInt(100*done/total, 10) + "%"
}

// importState is the part of a _snapshot_imports document the CLI follows.
type importState struct {
	state               string
	messageToConfirm    string
	requireConfirmation bool
	progressMessage     string
	checkpoints         []string
	rowsWritten         string
	errorMessage        string
}

func parseImportState(raw json.RawMessage) (importState, error) {
	v, err := subscribe.Decode(raw)
	if err != nil {
		return importState{}, err
	}
	doc, _ := v.(subscribe.Object)
	sv, _ := doc.Get("state")
	s, ok := sv.(subscribe.Object)
	if !ok {
		return importState{}, fmt.Errorf("no import state in %.200s", raw)
	}
	str := func(k string) string {
		x, _ := s.Get(k)
		str, _ := x.(string)
		return str
	}
	st := importState{state: str("state"), messageToConfirm: str("message_to_confirm"),
		progressMessage: str("progress_message"), errorMessage: str("error_message"), requireConfirmation: true}
	if b, ok := s.Get("require_manual_confirmation"); ok && b == false {
		st.requireConfirmation = false
	}
	if cp, ok := s.Get("checkpoint_messages"); ok {
		list, _ := cp.([]any)
		for _, m := range list {
			if ms, ok := m.(string); ok {
				st.checkpoints = append(st.checkpoints, ms)
			}
		}
	}
	if n, ok := s.Get("num_rows_written"); ok {
		switch n := n.(type) {
		case int64:
			st.rowsWritten = strconv.FormatInt(n, 10)
		case float64:
			st.rowsWritten = subscribe.FormatNumber(n)
		}
	}
	if st.state == "" {
		return st, fmt.Errorf("no import state in %.200s", raw)
	}
	return st, nil
}

// waitImport follows the import until it needs confirmation, completed or
// failed, printing checkpoints and progress meanwhile.
func (d *Deps) waitImport(ctx context.Context, sc *subscribe.Client, t deployments.Target, importID string, spin *ui.Spinner, checkpoints *int) (importState, error) {
	var last importState
	err := sc.Watch(ctx, "_system/cli/queryImport", map[string]string{"importId": importID}, "", func(u subscribe.Update) error {
		st, err := parseImportState(u.Value)
		if err != nil {
			return ui.Wrap(err, "Unexpected import state from the deployment")
		}
		last = st
		switch st.state {
		case "waiting_for_confirmation", "completed", "failed":
			return subscribe.ErrStop
		case "in_progress":
			for ; *checkpoints < len(st.checkpoints); *checkpoints++ {
				d.Out.Success("%s", st.checkpoints[*checkpoints])
			}
			msg := st.progressMessage
			if msg == "" {
				msg = "Importing"
			}
			spin.Update("%s", msg)
		}
		return nil
	})
	if err != nil {
		return last, syncError(err, t)
	}
	if ctx.Err() != nil {
		return last, ui.Interrupted.WithHint("The import keeps running on the deployment.")
	}
	return last, nil
}

package commands

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/convex-go/convex/deployments"
	"github.com/convex-go/convex/push"
	"github.com/convex-go/convex/subscribe"
	"github.com/convex-go/convex/ui"
)

func newExportCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "export",
		Usage: "Export data from your deployment to a ZIP file",
		Description: "Save a snapshot of every table (and, if you ask, stored files) to a ZIP file. " +
			"By default this exports from your dev deployment.\n\n" +
			"• Into a directory (the file is named for you): convex export --path backups/\n" +
			"• Into a given file: convex export --path snapshot.zip\n" +
			"• With stored files: convex export --include-file-storage --path backups/\n\n" +
			"`convex import` reads the ZIP back. Guide: https://docs.convex.dev/database/import-export/export",
		Flags: withFlags([]cli.Flag{
			valueFlag("path", "zipFilePath", "Where to write: a directory, or a .zip path that does not exist yet.").Required(),
			boolFlag("include-file-storage", "Also export stored files, into a _storage folder in the ZIP."),
		}, selectionFlags("Export data from", false)),
		Action: d.export,
	}
}

func (d *Deps) export(c *cli.Context) error {
	if err := push.CheckConvexDependency(d.Cwd, "export"); err != nil {
		return d.pushErr(err)
	}
	path := c.String("path")
	full := path
	if !filepath.IsAbs(full) {
		full = filepath.Join(d.Cwd, path)
	}
	// Refuse an existing file before asking the deployment for an export.
	if st, err := os.Stat(full); err == nil && !st.IsDir() {
		return ui.Errorf("Error: Path %s already exists.", d.Out.Paint(path, ui.Bold))
	}
	t, err := d.requireTarget(c, "export")
	if err != nil {
		return err
	}
	link := snapshotsLink(d, t)
	notice := ""
	if t.Kind == deployments.KindProd {
		notice = " in your " + d.Out.Paint("prod", ui.Bold) + " deployment"
	}
	spin := d.Out.Spinner("Creating snapshot export" + notice)
	defer spin.Stop()

	q := "/api/export/request/zip?includeStorage=" + strconv.FormatBool(c.Bool("include-file-storage"))
	if err := d.deploymentClient(t).Do(c.Context, http.MethodPost, q, nil, nil); err != nil {
		var ae *deployments.APIError
		if errors.As(err, &ae) && ae.Code == "ExportInProgress" {
			spin.Fail("Creating snapshot export%s", notice)
			e := ui.Errorf("A snapshot export is already requested or in progress. Only one can run at a time, so wait for it to finish and try again.")
			if link != "" {
				e = e.WithHint("Check its progress at %s", link)
			}
			return e
		}
		return err
	}

	sc, err := d.openSync(c.Context, t, nil)
	if err != nil {
		return err
	}
	state, startTS, err := waitExport(c.Context, sc, t)
	sc.Close()
	if err != nil {
		return err
	}
	switch state {
	case "completed":
	case "failed":
		spin.Stop()
		return ui.Errorf("Export failed. Please try again later or contact support@convex.dev for help.")
	default:
		spin.Stop()
		return ui.Errorf("The export is continuing to run on the deployment.")
	}
	spin.Stop()
	d.Out.Success("Created snapshot export at timestamp %s", startTS)
	if link != "" {
		d.Out.Success("Export is available at %s", link)
	}

	spin = d.Out.Spinner("Downloading snapshot export to " + d.Out.Paint(path, ui.Bold))
	written, err := d.downloadExport(c.Context, t, startTS, path, full)
	if err != nil {
		spin.Fail("Exporting data failed")
		return err
	}
	spin.Stop()
	d.Out.Success("Downloaded snapshot export to %s", d.Out.Paint(written, ui.Bold))
	return nil
}

// waitExport follows the latest export until it completed or failed and
// returns its state and start timestamp (decimal).
func waitExport(ctx context.Context, sc *subscribe.Client, t deployments.Target) (state, startTS string, err error) {
	err = sc.Watch(ctx, "_system/cli/exports:getLatest", nil, "", func(u subscribe.Update) error {
		v, err := subscribe.Decode(u.Value)
		if err != nil {
			return ui.Wrap(err, "Unexpected export state from the deployment")
		}
		doc, ok := v.(subscribe.Object)
		if !ok {
			return nil // no export recorded yet
		}
		s, _ := doc.Get("state")
		state, _ = s.(string)
		switch state {
		case "completed":
			ts, _ := doc.Get("start_ts")
			switch ts := ts.(type) {
			case int64:
				startTS = strconv.FormatInt(ts, 10)
			case float64:
				startTS = subscribe.FormatNumber(ts)
			default:
				return ui.Errorf("The completed export has no start timestamp")
			}
			return subscribe.ErrStop
		case "failed":
			return subscribe.ErrStop
		}
		return nil
	})
	if err != nil {
		return state, startTS, syncError(err, t)
	}
	if ctx.Err() != nil {
		return state, startTS, ui.Interrupted.WithHint("The export keeps running on the deployment.")
	}
	return state, startTS, nil
}

// downloadExport saves the export's ZIP at path (a new file, or a file
// named by the deployment inside an existing directory) and returns where
// it was written, as shown to the user.
func (d *Deps) downloadExport(ctx context.Context, t deployments.Target, startTS, path, full string) (string, error) {
	resp, err := d.rawRequest(ctx, t, http.MethodGet, "/api/export/zip/"+startTS, "", nil)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if st, err := os.Stat(full); err == nil {
		if !st.IsDir() {
			return "", ui.Errorf("Error: Path %s already exists.", d.Out.Paint(path, ui.Bold))
		}
		name := "snapshot_" + startTS + ".zip"
		if cd, ok := strings.CutPrefix(resp.Header.Get("Content-Disposition"), "attachment; filename="); ok {
			if n := filepath.Base(strings.Trim(cd, `"`)); n != "." && n != "/" && n != ".." && n != "" {
				name = n
			}
		}
		path, full = filepath.Join(path, name), filepath.Join(full, name)
	}
	f, err := os.OpenFile(full, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		if os.IsExist(err) {
			return "", ui.Errorf("Error: Path %s already exists.", d.Out.Paint(path, ui.Bold))
		}
		return "", ui.Wrap(err, "Exporting data failed")
	}
	_, cerr := io.Copy(f, resp.Body)
	if err := f.Close(); cerr == nil {
		cerr = err
	}
	if cerr != nil {
		os.Remove(full) // never leave half a snapshot behind
		return "", ui.Wrap(cerr, "Exporting data failed")
	}
	if n := resp.ContentLength; n > 0 {
		if st, err := os.Stat(full); err == nil && st.Size() != n {
			os.Remove(full)
			return "", ui.Errorf("Exporting data failed: received %d of %d bytes", st.Size(), n)
		}
	}
	return path, nil
}

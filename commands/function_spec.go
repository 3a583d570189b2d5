package commands

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/convex-go/convex/config"
	"github.com/convex-go/convex/subscribe"
	"github.com/convex-go/convex/ui"
)

func newFunctionSpecCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "function-spec",
		Usage: "List function metadata from your deployment",
		Description: "Print, as JSON, every function deployed: its kind, visibility, argument validator and return validator. " +
			"By default this reads your dev deployment.",
		Flags: withFlags([]cli.Flag{
			boolFlag("file", "Write the JSON to a file instead of stdout."),
		}, selectionFlags("Read function metadata from", false)),
		Action: d.functionSpec,
	}
}

func (d *Deps) functionSpec(c *cli.Context) error {
	t, err := d.requireTarget(c, "function-spec")
	if err != nil {
		return err
	}
	sc, err := d.openSync(c.Context, t, nil)
	if err != nil {
		return err
	}
	defer sc.Close()
	functions, err := d.systemQuery(c.Context, sc, t, "_system/cli/modules:apiSpec", nil, "")
	if err != nil {
		return err
	}
	url, err := d.systemQuery(c.Context, sc, t, "_system/cli/convexUrl:cloudUrl", nil, "")
	if err != nil {
		return err
	}
	spec, err := functionSpecJSON(url, functions)
	if err != nil {
		return err
	}
	if !c.Bool("file") {
		d.Out.Result("%s", spec)
		return nil
	}
	name := "function_spec_" + strconv.FormatInt(time.Now().UnixMilli(), 10) + ".json"
	if err := config.WriteFileAtomic(filepath.Join(d.Cwd, name), spec, 0o644); err != nil {
		return ui.Wrap(err, "Could not write %s", name)
	}
	d.Out.Result("%s", paintStdout(d, "Wrote function spec to "+name, ui.Green))
	return nil
}

// functionSpecJSON is {"url": …, "functions": …} indented by two spaces,
// keeping the deployment's key order.
func functionSpecJSON(url, functions json.RawMessage) ([]byte, error) {
	var s string
	if err := json.Unmarshal(url, &s); err != nil {
		return nil, ui.Errorf("Unexpected deployment URL from the deployment: %.200s", url)
	}
	list, err := subscribe.Decode(functions)
	if _, ok := list.([]any); err != nil || !ok {
		return nil, ui.Errorf("Unexpected function list from the deployment: %.200s", functions)
	}
	return []byte(subscribe.Encode(subscribe.Object{{Key: "url", Value: s}, {Key: "functions", Value: list}}, "  ")), nil
}

// paintStdout colours text written to stdout, only when stdout is a
// terminal (the Printer's colour decision is for stderr).
func paintStdout(d *Deps, s string, style ui.Style) string {
	if f, ok := d.Stdout.(*os.File); ok && ui.ColorEnabled(f, d.Env.Get) {
		return "\x1b[" + string(style) + "m" + s + "\x1b[0m"
	}
	return s
}

package commands

import (
	"errors"
	"strconv"

	"github.com/urfave/cli/v2"

	"github.com/convex-go/convex/deployments"
	"github.com/convex-go/convex/push"
	"github.com/convex-go/convex/ui"
)

func newLogsCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:  "logs",
		Usage: "Watch logs from your deployment",
		Description: "Stream your functions' logs (console output, errors, and with --success every call) as they happen, " +
			"until you press Ctrl-C. By default this follows your dev deployment.",
		Flags: withFlags([]cli.Flag{
			valueFlag("history", "n", "First print the n most recent entries; without n, everything still available.").Optional().Check(anyInt),
			boolFlag("success", "Also print a line for every function call that succeeded."),
			boolFlag("jsonl", "Print raw log events, one JSON object per line."),
			valueFlag("tail", "n", "Same as --history (logs already follow by default).").Optional().Check(anyInt).Hide(),
		}, selectionFlags("Watch logs from", false)),
		Action: d.logs,
	}
}

// logFormat renders entries with the CLI's colours (cyan prefixes, red
// errors, green completions).
func (d *Deps) logFormat(success, jsonl bool) push.LogFormat {
	return push.LogFormat{
		Success: success,
		JSONL:   jsonl,
		Paint: func(kind, s string) string {
			switch kind {
			case "error":
				return d.Out.Paint(s, ui.Red)
			case "success":
				return d.Out.Paint(s, ui.Green)
			}
			return d.Out.Paint(s, ui.Style("36")) // cyan
		},
	}
}

func (d *Deps) logs(c *cli.Context) error {
	history := 0
	flag := "history"
	if c.IsSet("tail") {
		d.Out.Warn("`--tail` is unnecessary: `convex logs` already tails by default. Treating it as `--history`.")
		flag = "tail"
	}
	if c.IsSet(flag) {
		history = -1
		if v := c.String(flag); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return ui.Usage("--%s must be a number, got %q", flag, v)
			}
			if n > 0 {
				history = n
			} else {
				history = 0
			}
		}
	}
	t, stop, err := d.reachTarget(c, "logs")
	if err != nil {
		return err
	}
	defer stop()
	d.announceTarget("Showing logs of deployment:", t)
	d.Out.Warn("Watching logs for %s...", logsNotice(t))
	pc := push.NewClient(t.URL, t.AdminKey)
	pc.HTTP = d.httpClient()
	tail := &push.LogTail{Client: pc, Out: d.Stdout, Warn: warnWriter{d.Out}, History: history, FailWhenRefused: true, Format: d.logFormat(c.Bool("success"), c.Bool("jsonl"))}
	if c.Bool("jsonl") {
		tail.Format.Paint = nil
	}
	if err := tail.Run(c.Context); err != nil {
		var ae *push.APIError
		if errors.As(err, &ae) && ae.Status == 403 {
			return ui.Errorf("%s", ae.Message).WithHint("The admin key or deploy key in use may not be allowed to read this deployment's logs.")
		}
		return err
	}
	return nil
}

// logsNotice names the deployment whose logs are watched. Local, anonymous
// and preview deployments are named as every other command names them
// (Target.Describe, without where the selection came from); the others keep
// the reference's "production deployment <name>" / "dev deployment <name>".
func logsNotice(t deployments.Target) string {
	switch t.Kind {
	case deployments.KindLocal, deployments.KindAnonymous, deployments.KindPreview:
		t.Source = ""
		return t.Describe()
	}
	kind := "dev"
	if t.Kind == deployments.KindProd {
		kind = "production"
	}
	if t.Name == "" {
		return kind + " deployment"
	}
	return kind + " deployment " + t.Name
}

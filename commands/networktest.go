package commands

import "github.com/urfave/cli/v2"

func newNetworkTestCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:        "network-test",
		Hidden:      true,
		Usage:       "Run a network test to Convex's servers",
		Description: "Check that this machine can reach Convex: DNS, TCP, TLS, HTTP and WebSocket to the deployment, with timings.",
		Flags: withFlags([]cli.Flag{
			valueFlag("timeout", "timeout", "Give up after this many seconds (default 30).").Check(anyInt),
			valueFlag("ip-family", "ipFamily", "IP family to use: ipv4, ipv6 or auto."),
			boolFlag("speed-test", "Also send a large echo request to measure throughput."),
		}, selectionFlags("Perform the network test on", true)),
		Action: d.notImplemented("network-test"),
	}
}

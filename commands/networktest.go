package commands

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/convex-go/convex/deployments"
	"github.com/convex-go/convex/subscribe"
	"github.com/convex-go/convex/ui"
)

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
		Action: d.networkTest,
	}
}

// networkTest is one run of the checks; each prints "✔ OK: …" or fails
// with "FAIL: …".
type networkTest struct {
	d       *Deps
	url     *url.URL
	raw     string
	family  string // "ipv4", "ipv6" or "auto"
	client  *http.Client
	target  deployments.Target
	hasAuth bool
}

func (d *Deps) networkTest(c *cli.Context) error {
	timeout := 30.0
	if v := c.String("timeout"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 {
			return ui.Usage("--timeout must be a positive number of seconds, got %q", v)
		}
		timeout = f
	}
	family := c.String("ip-family")
	switch family {
	case "":
		family = "auto"
	case "ipv4", "ipv6", "auto":
	default:
		return ui.Usage("--ip-family must be ipv4, ipv6 or auto, got %q", family)
	}
	ctx, cancel := context.WithTimeout(c.Context, time.Duration(timeout*float64(time.Second)))
	defer cancel()

	spin := d.Out.Spinner("Performing network test...")
	defer spin.Stop()
	var t deployments.Target
	sel := readSelection(c)
	if sel.URL != "" {
		// Straight to the URL: the test must work without any other network access.
		t = deployments.Target{Kind: deployments.KindURL, URL: sel.URL, AdminKey: sel.AdminKey}
	} else {
		var err error
		if t, err = d.requireTarget(c, "network-test"); err != nil {
			return err
		}
	}
	u, err := url.Parse(t.URL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return ui.Errorf("%q is not an http or https deployment URL", t.URL)
	}
	spin.Stop()
	d.Out.Success("Deployment URL: %s", t.URL)
	n := &networkTest{d: d, url: u, raw: t.URL, family: family, target: t, hasAuth: t.AdminKey != "",
		client: &http.Client{Transport: d.Log.Transport(nil)}}
	err = n.run(ctx, c.Bool("speed-test"))
	if err != nil && ctx.Err() == context.DeadlineExceeded && c.Context.Err() == nil {
		return ui.Errorf("FAIL: Network test timed out after %s.", formatDuration(timeout*1000))
	}
	return err
}

func (n *networkTest) ok(format string, args ...any) {
	n.d.Out.Success("OK: "+format, args...)
}

func since(start time.Time) string {
	return formatDuration(float64(time.Since(start).Nanoseconds()) / 1e6)
}

func (n *networkTest) run(ctx context.Context, speed bool) error {
	steps := []func(context.Context) error{n.dns, n.tcp, n.http, n.ws,
		func(ctx context.Context) error { return n.echo(ctx, 128) },
		func(ctx context.Context) error { return n.echo(ctx, 4<<20) },
	}
	if speed {
		steps = append(steps, func(ctx context.Context) error { return n.echo(ctx, 64<<20) })
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return err
		}
	}
	n.d.Out.Success("Network test passed.")
	return nil
}

func (n *networkTest) network(base string) string {
	switch n.family {
	case "ipv4":
		return base + "4"
	case "ipv6":
		return base + "6"
	}
	return base
}

func (n *networkTest) dns(ctx context.Context) error {
	host := n.url.Hostname()
	start := time.Now()
	ips, err := net.DefaultResolver.LookupIP(ctx, n.network("ip"), host)
	if err != nil || len(ips) == 0 {
		if err == nil {
			err = errors.New("no addresses")
		}
		return ui.Errorf("FAIL: DNS lookup (%v)", err)
	}
	fam := "ipv6"
	if ips[0].To4() != nil {
		fam = "ipv4"
	}
	n.ok("DNS lookup => %s:%s (%s)", ips[0], fam, since(start))
	return nil
}

func (n *networkTest) tcp(ctx context.Context) error {
	ports := []string{n.url.Port()}
	if ports[0] == "" {
		if n.url.Scheme == "https" {
			ports = []string{"443", "80"} // plain HTTP must get through too (redirects)
		} else {
			ports = []string{"80"}
		}
	}
	for _, port := range ports {
		what := "TCP"
		if n.family != "auto" {
			what = fmt.Sprintf("TCP/%s %s:%s", n.family, n.url.Hostname(), port)
		}
		start := time.Now()
		var dialer net.Dialer
		conn, err := dialer.DialContext(ctx, n.network("tcp"), net.JoinHostPort(n.url.Hostname(), port))
		if err != nil {
			return ui.Errorf("FAIL: %s connect (%v)", what, err)
		}
		conn.Close()
		n.ok("%s connect (%s)", what, since(start))
	}
	return nil
}

func (n *networkTest) http(ctx context.Context) error {
	if n.url.Scheme == "https" {
		plain := *n.url
		plain.Scheme, plain.Host = "http", net.JoinHostPort(n.url.Hostname(), "80")
		if err := n.httpOnce(ctx, "HTTP", plain.String(), false); err != nil {
			return err
		}
		return n.httpOnce(ctx, "HTTPS", n.raw, true)
	}
	return n.httpOnce(ctx, "HTTP", n.raw, true)
}

func (n *networkTest) httpOnce(ctx context.Context, name, base string, follow bool) error {
	client := *n.client
	if !follow {
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+"/instance_name", nil)
	if err != nil {
		return ui.Errorf("FAIL: %s check (%v)", name, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return ui.Errorf("FAIL: %s check (%v)", name, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK && !(!follow && resp.StatusCode == http.StatusMovedPermanently) {
		return ui.Errorf("FAIL: %s check (unexpected status code %d)", name, resp.StatusCode)
	}
	n.ok("%s check (%s)", name, since(start))
	return nil
}

func (n *networkTest) ws(ctx context.Context) error {
	if !n.hasAuth {
		n.d.Out.Warn("Skipping WebSocket check because no admin key was provided.")
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	fail := func(err error) error {
		e := ui.Errorf("FAIL: Failed to connect to deployment over WebSocket.")
		if err != nil {
			e.Err = err
		}
		return e
	}
	sc, err := subscribe.Dial(ctx, n.raw, subscribe.Options{AdminKey: n.target.AdminKey, Version: deployments.ClientVersion(n.d.Env),
		HTTPClient: n.client, Logf: n.d.Log.Printf})
	if err != nil {
		return fail(err)
	}
	defer sc.Close()
	if _, err := sc.Query(ctx, "_system/cli/convexUrl:cloudUrl", nil, ""); err != nil {
		return fail(err)
	}
	n.ok("WebSocket connection established.")
	return nil
}

func (n *networkTest) echo(ctx context.Context, size int) error {
	what := "echo " + formatSize(float64(size))
	data := make([]byte, size)
	_, _ = rand.Read(data)
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(n.raw, "/")+"/echo", bytes.NewReader(data))
	if err != nil {
		return ui.Errorf("FAIL: %s (%v)", what, err)
	}
	resp, err := n.client.Do(req)
	if err != nil {
		return ui.Errorf("FAIL: %s (%v)", what, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return ui.Errorf("FAIL: %s (unexpected status code %d)", what, resp.StatusCode)
	}
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		return ui.Errorf("FAIL: %s (%v)", what, err)
	}
	if !bytes.Equal(got, data) {
		return ui.Errorf("FAIL: %s (the response did not match what was sent)", what)
	}
	secs := time.Since(start).Seconds()
	n.ok("%s (%s, %s/s)", what, since(start), formatSize(float64(size)/secs))
	return nil
}

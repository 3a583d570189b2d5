package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/convex-go/convex/deployments"
	"github.com/convex-go/convex/ui"
)

// deploymentClient is the JSON admin-API client for the target.
func (d *Deps) deploymentClient(t deployments.Target) *deployments.DeploymentClient {
	return deployments.NewDeploymentClient(t.URL, t.AdminKey, deployments.DeploymentClientOptions{
		Version: deployments.ClientVersion(d.Env), HTTPClient: d.httpClient(), Progress: d.Stderr})
}

// rawRequest sends a request whose body or answer is not JSON (import
// parts, export downloads) with the admin headers every deployment call
// carries. Network failures are retried a few times; a non-2xx answer is
// an error naming the server's code and message. The caller closes the
// body of the returned response.
func (d *Deps) rawRequest(ctx context.Context, t deployments.Target, method, path, contentType string, body []byte) (*http.Response, error) {
	url := strings.TrimRight(t.URL, "/") + path
	client := d.httpClient()
	client.Timeout = 0 // downloads may take long; ctx bounds the request
	var resp *http.Response
	var err error
	for attempt := 0; ; attempt++ {
		var r io.Reader
		if body != nil {
			r = bytes.NewReader(body)
		}
		req, rerr := http.NewRequestWithContext(ctx, method, url, r)
		if rerr != nil {
			return nil, ui.Wrap(rerr, "%s %s", method, url)
		}
		req.Header.Set("Authorization", "Convex "+t.AdminKey)
		req.Header.Set("Convex-Client", "npm-cli-"+deployments.ClientVersion(d.Env))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		resp, err = client.Do(req)
		if err == nil || ctx.Err() != nil || attempt >= 3 {
			break
		}
		select {
		case <-time.After(time.Duration(500<<attempt) * time.Millisecond):
		case <-ctx.Done():
		}
	}
	if err != nil {
		return nil, ui.Wrap(err, "Could not reach the deployment at %s", t.URL).
			WithHint("Check the deployment URL and your network connection.")
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return nil, httpFailure(method, url, resp.StatusCode, b)
	}
	return resp, nil
}

// apiFailure is a deployment's error answer: {"code", "message"}.
type apiFailure struct {
	Status        int
	Code, Message string
}

func (e *apiFailure) Error() string {
	if e.Code != "" {
		return e.Code + ": " + e.Message
	}
	return fmt.Sprintf("%d %s", e.Status, http.StatusText(e.Status))
}

func httpFailure(method, url string, status int, body []byte) error {
	f := &apiFailure{Status: status}
	var b struct{ Code, Message string }
	if json.Unmarshal(body, &b) == nil && b.Code != "" {
		f.Code, f.Message = b.Code, b.Message
	} else if s := strings.TrimSpace(string(body)); s != "" && len(s) < 500 {
		f.Message = s
	}
	e := ui.Wrap(f, "%s %s failed", method, url)
	if f.Code == "" && f.Message != "" {
		e = ui.Errorf("%s %s failed: %d %s", method, url, status, f.Message)
		e.Err = f
	}
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden:
		e = e.WithHint("The admin key or deploy key was not accepted for this operation.")
	}
	return e
}

// formatSize writes a byte count with 1024-based units and one decimal
// ("1.5 MiB", "128 bytes").
func formatSize(n float64) string {
	units := []string{"bytes", "KiB", "MiB", "GiB", "TiB", "PiB"}
	i := 0
	for n >= 1024 && i < len(units)-1 {
		n /= 1024
		i++
	}
	if math.Round(n*10)/10 >= 1024 && i < len(units)-1 {
		n /= 1024
		i++
	}
	s := strconv.FormatFloat(n, 'f', 1, 64)
	return strings.TrimSuffix(s, ".0") + " " + units[i]
}

// formatDuration writes a duration given in milliseconds with a fitting
// unit and at most two decimals ("12.35ms", "1.2s").
func formatDuration(ms float64) string {
	two := func(v float64, unit string) string {
		s := strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
		whole, frac, _ := strings.Cut(s, ".")
		var b strings.Builder
		neg := strings.HasPrefix(whole, "-")
		whole = strings.TrimPrefix(whole, "-")
		for i, r := range whole {
			if i > 0 && (len(whole)-i)%3 == 0 {
				b.WriteByte(',')
			}
			b.WriteRune(r)
		}
		out := b.String()
		if neg {
			out = "-" + out
		}
		if frac != "" {
			out += "." + frac
		}
		return out + unit
	}
	switch {
	case ms < 1e-3:
		return two(ms*1e6, "ns")
	case ms < 1:
		return two(ms*1e3, "µs")
	case ms < 1e3:
		return two(ms, "ms")
	case ms/1e3 < 60:
		return two(ms/1e3, "s")
	}
	return two(ms/1e3/60, "m")
}

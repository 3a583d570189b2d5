package deployments

import (
	"errors"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/convex-go/convex/ui"
)

// RefusedRetries is how often a request to a server on this machine is
// retried when the connection is refused. Nothing listening on a loopback
// port will not start listening within the minute the general network
// retry schedule waits, so the command fails after a couple of quick tries
// (enough for a backend that is just restarting).
const RefusedRetries = 2

// maxRefusedDelay caps the wait between those quick tries.
const maxRefusedDelay = 250 * time.Millisecond

// IsConnRefused reports whether err is a refused TCP connection.
func IsConnRefused(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	// Windows reports WSAECONNREFUSED, which is not syscall.ECONNREFUSED.
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial" && strings.Contains(strings.ToLower(op.Err.Error()), "refused")
}

// IsLoopbackURL reports whether rawURL points at this machine (localhost,
// 127.0.0.0/8 or ::1).
func IsLoopbackURL(rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil {
		return false
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// RefusedLocally reports whether a request to rawURL failed because nothing
// listens there on this machine: the case that gets RefusedRetries quick
// retries instead of the network schedule.
func RefusedLocally(rawURL string, err error) bool {
	return IsConnRefused(err) && IsLoopbackURL(rawURL)
}

// RefusedDelay is the wait before quick retry attempt (0-based) of a
// refused local connection, given the client's usual delay function.
func RefusedDelay(delay func(int) time.Duration, attempt int) time.Duration {
	return min(delay(attempt), maxRefusedDelay)
}

// NothingListening is the error for a deployment URL on this machine where
// no server accepts connections.
func NothingListening(deploymentURL string, err error) *ui.Error {
	return ui.Wrap(err, "Nothing is listening at %s", deploymentURL).
		WithHint("Start the deployment first: for a local deployment run `convex dev` in another terminal; " +
			"for a self-hosted one start its backend. Otherwise check the port in CONVEX_SELF_HOSTED_URL (or --url).")
}

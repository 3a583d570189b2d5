package anonymous

import (
	"fmt"
	"net"
	"strconv"

	"github.com/convex-go/convex/ui"
)

// FirstPort is where port probing starts, as in the reference CLI.
const FirstPort = 3210

// PortRequest says what the user asked for and what the deployment used last.
// Zero means "none".
type PortRequest struct {
	Cloud, Site         int // --local-cloud-port / --local-site-port
	PrevCloud, PrevSite int // from the saved config
}

// ChoosePorts picks the cloud and site ports: a requested port must be free
// exactly; otherwise the previous port is reused when free; otherwise the
// first free port from just after the previous slot (or 3210) is taken,
// falling back to one the OS assigns.
func ChoosePorts(r PortRequest) (Ports, error) {
	var taken []int
	pick := func(requested, previous, start int) (int, error) {
		if requested != 0 {
			if !portFree(requested) || contains(taken, requested) {
				return 0, ui.Errorf("requested port %d is not available", requested).
					WithHint("Another program is listening on it. Stop it, or choose another port.")
			}
			return requested, nil
		}
		if previous != 0 && !contains(taken, previous) && portFree(previous) {
			return previous, nil
		}
		for p := start; p < start+10; p++ {
			if !contains(taken, p) && portFree(p) {
				return p, nil
			}
		}
		return osPort()
	}
	cloud, err := pick(r.Cloud, r.PrevCloud, FirstPort)
	if err != nil {
		return Ports{}, err
	}
	taken = append(taken, cloud)
	site, err := pick(r.Site, r.PrevSite, cloud+1)
	if err != nil {
		return Ports{}, err
	}
	return Ports{Cloud: cloud, Site: site}, nil
}

func contains(xs []int, x int) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

// portFree reports whether nothing listens on the port, on loopback or on
// all interfaces (a server bound to either would clash with ours).
func portFree(port int) bool {
	for _, host := range []string{"127.0.0.1", "0.0.0.0"} {
		l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			return false
		}
		l.Close()
	}
	return true
}

func osPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

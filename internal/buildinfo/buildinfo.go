// Package buildinfo holds what the release build stamps into the binary.
//
// goreleaser sets these with -ldflags "-X" (see .goreleaser.yaml):
//
//	-X github.com/convex-go/convex/internal/buildinfo.Version=1.2.3
//	-X github.com/convex-go/convex/internal/buildinfo.Commit=<sha>
//	-X github.com/convex-go/convex/internal/buildinfo.Date=<RFC 3339>
//
// They are variables only because the linker can set nothing else; nothing
// in the program assigns them.
package buildinfo

// Version is this binary's release version; "dev" for a plain `go build`.
var Version = "dev"

// Commit is the git commit the release was built from.
var Commit = ""

// Date is when the release was built (RFC 3339).
var Date = ""

// CompatVersion is the version of the npm `convex` CLI whose behaviour this
// binary reproduces. It is what the Convex servers see in the
// `Convex-Client: npm-cli-<version>` header, so that they treat us like the
// reference client they know.
const CompatVersion = "1.48.0"

// ClientVersion is the version to announce to Convex servers:
// CONVEX_VERSION_OVERRIDE when set (as the npm CLI allows), else CompatVersion.
func ClientVersion(getenv func(string) string) string {
	if v := getenv("CONVEX_VERSION_OVERRIDE"); v != "" {
		return v
	}
	return CompatVersion
}

// DisplayVersion is what `convex --version` prints: CONVEX_VERSION_OVERRIDE
// when set (scripts written for the npm CLI rely on it), else Version.
func DisplayVersion(getenv func(string) string) string {
	if v := getenv("CONVEX_VERSION_OVERRIDE"); v != "" {
		return v
	}
	return Version
}

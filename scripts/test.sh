#!/usr/bin/env bash
# Runs every check and test of convex-go. Needs Go and Node.js (npm); installs
# the npm packages the end-to-end tests drive into e2e/node/node_modules.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== npm packages for the end-to-end tests"
(cd e2e/node && npm ci --no-audit --no-fund --loglevel=error)

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './e2e/node/*'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

echo "== go vet"
go vet ./...

echo "== go test"
go test -timeout 40m ./...

echo "== fuzz (bounded: ${FUZZTIME:-15s} per target)"
# The parsers of untrusted text (deploy keys, env files) are fuzzed for a
# bounded time on top of their seed corpora. The backend's fuzz targets run
# on their seeds in `go test` above; fuzz them longer by hand, e.g.
#   go test -run='^$' -fuzz='^FuzzQuery$' -fuzztime=2m ./backend/store
for spec in "FuzzParseDeployKey ./auth" "FuzzEnvFile ./config"; do
  set -- $spec
  echo "-- $1 ($2)"
  go test -run='^$' -fuzz="^$1\$" -fuzztime="${FUZZTIME:-15s}" "$2"
done

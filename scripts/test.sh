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

echo "== fuzz (bounded)"
for target in $(grep -rhoE '^func (Fuzz[A-Za-z0-9_]+)' --include='*_test.go' auth config 2>/dev/null | awk '{print $2}' | sed 's/(.*//' | sort -u); do
  pkg=$(grep -rlE "^func ${target}\(" --include='*_test.go' auth config | head -1 | xargs dirname)
  go test -run='^$' -fuzz="^${target}\$" -fuzztime=15s "./${pkg}"
done

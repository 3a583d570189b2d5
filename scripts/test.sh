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

echo "== fuzz (bounded: ${FUZZTIME:-10s} per target)"
# Every Fuzz function in the tree, each run for a bounded time on top of its
# seed corpus (which plain `go test` already ran).
grep -rlE '^func Fuzz[A-Za-z0-9_]+\(' --include='*_test.go' --exclude-dir=node_modules . | sort | while read -r file; do
  pkg=$(dirname "$file")
  for target in $(grep -oE '^func Fuzz[A-Za-z0-9_]+' "$file" | awk '{print $2}'); do
    echo "-- $target ($pkg)"
    go test -run='^$' -fuzz="^${target}\$" -fuzztime="${FUZZTIME:-10s}" "$pkg"
  done
done

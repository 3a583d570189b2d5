#!/usr/bin/env bash
# Builds convex and runs `convex dev` on the example app against the built-in
# local backend: no account, no download beyond the app's npm packages.
# Extra arguments go to `convex dev` (for example --once).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$root/bin"
(cd "$root" && CGO_ENABLED=0 go build -tags urfave_cli_no_docs -o bin/convex .)
cd "$root/examples/todos"
if [ ! -d node_modules/convex ]; then
  npm install --no-audit --no-fund --loglevel=error
fi
exec "$root/bin/convex" dev "$@"

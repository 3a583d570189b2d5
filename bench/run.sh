#!/usr/bin/env bash
# Builds convex-go and measures it against the reference npm CLI (convex
# 1.48.0 in e2e/node/node_modules) in one run, then writes the figures to
# docs/benchmarks.md. Not part of the test suite.
#
#   bash bench/run.sh                 # full run, rewrites docs/benchmarks.md
#   RUNS=3 BACKEND_DURATION=5s bash bench/run.sh
#   DOC=/tmp/b.md bash bench/run.sh   # write the report elsewhere
#
# Knobs (environment): RUNS (CLI runs per measurement, default 5),
# TC_RUNS (dev --once with tsc, default 3), STARTUP_RUNS (start-up runs of
# ours, default 60; the reference gets half as many), BACKEND_DURATION
# (default 10s), SYNC_N (mutations per subscriber count, default 300),
# APP (default /work/shared/fixtures/apps/chat, else e2e/testdata/backend/chat),
# REV (a git revision: build and benchmark that commit, exported with
# `git archive` into a temporary directory, instead of the working tree).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
REV=${REV:-}

RUNS=${RUNS:-5}
TC_RUNS=${TC_RUNS:-3}
STARTUP_RUNS=${STARTUP_RUNS:-60}
BACKEND_DURATION=${BACKEND_DURATION:-10s}
SYNC_N=${SYNC_N:-300}
DOC=${DOC:-$ROOT/docs/benchmarks.md}
if [ -z "${APP:-}" ]; then
  APP=/work/shared/fixtures/apps/chat
  [ -d "$APP/convex" ] || APP=$ROOT/e2e/testdata/backend/chat
fi
NODE_MODULES=$ROOT/e2e/node/node_modules
REF=$NODE_MODULES/.bin/convex

OUT=$(mktemp -d /tmp/convex-bench.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
RES=$OUT/results.tsv   # key median min max n unit
: >"$RES"
log() { printf '== %s\n' "$*" >&2; }

START_TS=$(date -u '+%Y-%m-%d %H:%M UTC')
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
T0=$(date +%s)

# ---------------------------------------------------------------- tools
need_pkg() { # command package
  command -v "$1" >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing $2"
    apt-get install -y "$2" >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y "$2" >/dev/null 2>&1; } || true
  fi
  command -v "$1" >/dev/null 2>&1
}
HAVE_HYPERFINE=0; need_pkg hyperfine hyperfine && HAVE_HYPERFINE=1
TIMEV=""; if [ -x /usr/bin/time ] || need_pkg /usr/bin/time time; then TIMEV=/usr/bin/time; fi

if [ ! -x "$REF" ]; then
  log "npm ci in e2e/node (reference CLI)"
  (cd e2e/node && npm ci --no-audit --no-fund --loglevel=error)
fi

# SRC is the tree that is built and whose backend benchmarks run.
if [ -n "$REV" ]; then
  GIT_REV=$(git rev-parse --short "$REV")
  SRC=$OUT/src
  mkdir -p "$SRC"
  git archive "$REV" | tar -x -C "$SRC"
  mkdir -p "$SRC/e2e/node"
  ln -s "$NODE_MODULES" "$SRC/e2e/node/node_modules"
  SRC_DESC="commit $GIT_REV (exported with git archive)"
else
  SRC=$ROOT
  GIT_REV=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
  SRC_DESC="working tree at $GIT_REV"
  if [ -n "$(git status --porcelain --untracked-files=no -- . ":(exclude)docs/benchmarks.md" 2>/dev/null)" ]; then
    SRC_DESC="$SRC_DESC, with uncommitted changes"
  fi
fi

log "building $SRC_DESC"
# Ours is built as a release is (see .goreleaser.yaml): what users run.
(cd "$SRC" && CGO_ENABLED=0 go build -trimpath -tags urfave_cli_no_docs -ldflags "-s -w" -o "$OUT/convex" . && go build -o "$OUT/clibench" ./bench/cmd/clibench &&
  go build -o "$OUT/bench-backend" ./bench/backend)
OURS=$OUT/convex
OURS_VERSION=$("$OURS" --version 2>&1 | head -1)
REF_VERSION=$("$REF" --version 2>&1 | head -1)

# ---------------------------------------------------------------- 1. start-up
log "start-up time"
if [ "$HAVE_HYPERFINE" = 1 ]; then
  # Three alternating rounds, pooled, so that a burst of load on the shared
  # machine does not fall on one side only.
  OURS_ROUND=$(( STARTUP_RUNS / 3 > 3 ? STARTUP_RUNS / 3 : 3 ))
  REF_ROUND=$(( STARTUP_RUNS / 6 > 3 ? STARTUP_RUNS / 6 : 3 ))
  for sub in version help; do
    for round in 1 2 3; do
      hyperfine -N --style none --warmup 2 --runs "$OURS_ROUND" --export-json "$OUT/hf-ours-$sub-$round.json" \
        "$OURS --$sub" >/dev/null 2>&1
      hyperfine -N --style none --warmup 1 --runs "$REF_ROUND" --export-json "$OUT/hf-ref-$sub-$round.json" \
        "$REF --$sub" >/dev/null 2>&1
    done
    for who in ours ref; do
      "$OUT/clibench" pool -key "startup.$who.$sub" "$OUT"/hf-$who-$sub-?.json >>"$RES"
    done
  done
  STARTUP_TOOL="hyperfine $(hyperfine --version | awk '{print $2}') (-N: no shell), 3 alternating rounds of $OURS_ROUND runs (ours) and $REF_ROUND runs (reference), each round after a warm-up, times pooled"
else
  for sub in version help; do
    "$OUT/clibench" time -key "startup.ours.$sub" -n "$STARTUP_RUNS" -- "$OURS" "--$sub" >>"$RES"
    "$OUT/clibench" time -key "startup.ref.$sub" -n 10 -- "$REF" "--$sub" >>"$RES"
  done
  STARTUP_TOOL="clibench time (no hyperfine): wall clock of fork+exec+wait, one warm-up run"
fi

# The reference as its docs run it: `npx convex --version` in a project
# that has it installed (npx resolves the local package; no download).
# Shown for information; the targets use the direct runs above.
if [ "$HAVE_HYPERFINE" = 1 ]; then
  (cd "$ROOT/e2e/node" && hyperfine -N --style none --warmup 1 --runs 5 --export-json "$OUT/hf-npx-version.json" \
    "npx --no-install convex --version" >/dev/null 2>&1) &&
    "$OUT/clibench" pool -key startup.npx.version "$OUT/hf-npx-version.json" >>"$RES" || true
fi

# Peak memory: /usr/bin/time -v, median of three.
if [ -n "$TIMEV" ]; then
  for sub in version help; do
    for who in ours ref; do
      bin=$OURS; [ "$who" = ref ] && bin=$REF
      for i in 1 2 3; do
        "$TIMEV" -v "$bin" "--$sub" 2>&1 >/dev/null | awk -F: '/Maximum resident set size/{gsub(/ /,"",$2); print $2/1024}'
      done | sort -n | awk -v k="startup.$who.$sub.maxrss" '{v[NR]=$1} END{printf "%s\t%.1f\t%.1f\t%.1f\t%d\tMB\n", k, v[2], v[1], v[3], NR}' >>"$RES"
    done
  done
fi

# Where ours spends its start-up: the sum of Go package initialisers
# (GODEBUG=inittrace=1), median of five.
for i in 1 2 3 4 5; do
  GODEBUG=inittrace=1 "$OURS" --version 2>&1 >/dev/null | awk '/^init /{s+=$5} END{printf "%.2f\n", s}'
done | sort -n | awk '{v[NR]=$1} END{printf "startup.ours.inits\t%.2f\t%.2f\t%.2f\t%d\tms\n", v[3], v[1], v[5], NR}' >>"$RES"
BIN_MB=$(du -m "$OURS" | cut -f1)

# ---------------------------------------------------------------- 2-4. CLI runs, cold start
log "dev --once, deploy, backend cold start ($RUNS runs each)"
"$OUT/clibench" compare -ours "$OURS" -ref "$REF" -app "$APP" -node-modules "$NODE_MODULES" \
  -runs "$RUNS" -typecheck-runs "$TC_RUNS" >>"$RES"

# ---------------------------------------------------------------- 5. backend
log "backend throughput and latency ($BACKEND_DURATION)"
BB_OUT=$(cd "$SRC" && "$OUT/bench-backend" -duration "$BACKEND_DURATION" 2>&1) || { echo "$BB_OUT" >&2; exit 1; }
echo "$BB_OUT" >"$OUT/backend.txt"
# Go durations (850µs, 1.2ms, 1.5s) to milliseconds.
to_ms() { awk -v d="$1" 'BEGIN{
  if (d ~ /µs$/) { sub(/µs$/,"",d); printf "%.3f", d/1000 }
  else if (d ~ /ns$/) { sub(/ns$/,"",d); printf "%.4f", d/1e6 }
  else if (d ~ /ms$/) { sub(/ms$/,"",d); printf "%.3f", d }
  else if (d ~ /s$/)  { sub(/s$/,"",d);  printf "%.3f", d*1000 }
  else print "NA" }'; }
MUT_LINE=$(grep '^mutations:' "$OUT/backend.txt")
Q_LINE=$(grep '^queries:' "$OUT/backend.txt")
MUT_RATE=$(sed -E 's/.*= ([0-9.]+) mutations\/s.*/\1/' <<<"$MUT_LINE")
MUT_P50=$(to_ms "$(sed -E 's/.*latency p50 ([^,]+),.*/\1/' <<<"$MUT_LINE")")
MUT_P99=$(to_ms "$(sed -E 's/.*p99 ([^)]+)\).*/\1/' <<<"$MUT_LINE")")
Q_P50=$(to_ms "$(sed -E 's/.*p50 ([^,]+),.*/\1/' <<<"$Q_LINE")")
Q_P99=$(to_ms "$(sed -E 's/.*p99 ([^,]+),.*/\1/' <<<"$Q_LINE")")
{
  printf 'backend.mutations\t%s\tNA\tNA\t1\tper s\n' "$MUT_RATE"
  printf 'backend.mutation.p50\t%s\tNA\tNA\t1\tms\n' "$MUT_P50"
  printf 'backend.mutation.p99\t%s\tNA\tNA\t1\tms\n' "$MUT_P99"
  printf 'backend.query.p50\t%s\tNA\tNA\t1\tms\n' "$Q_P50"
  printf 'backend.query.p99\t%s\tNA\tNA\t1\tms\n' "$Q_P99"
} >>"$RES"

log "mutation-to-subscriber update latency (${SYNC_N} mutations)"
(cd "$SRC" && go test -run '^$' -bench UpdateLatency -benchtime "${SYNC_N}x" ./backend/sync/) >"$OUT/sync.txt" 2>&1 || { cat "$OUT/sync.txt" >&2; exit 1; }
awk '/^BenchmarkUpdateLatency\/subscribers=/{
  split($1, a, "="); split(a[2], b, "-"); s=b[1]; p50=""; p99=""; del=""
  for (i=2; i<=NF; i++) { if ($i=="p50-µs") p50=$(i-1); if ($i=="p99-µs") p99=$(i-1); if ($i=="delivered/expected") del=$(i-1) }
  printf "sync.subs%s.p50\t%.3f\tNA\tNA\t1\tms\n", s, p50/1000
  printf "sync.subs%s.p99\t%.3f\tNA\tNA\t1\tms\n", s, p99/1000
  printf "sync.subs%s.delivered\t%s\tNA\tNA\t1\tratio\n", s, del
}' "$OUT/sync.txt" >>"$RES"

T1=$(date +%s)
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- report
get() { awk -F'\t' -v k="$1" -v f="${2:-2}" '$1==k{print $f; found=1} END{if(!found) print "NA"}' "$RES"; }
# ratio REF OURS: how many times faster (or smaller) ours is.
ratio() { awk -v r="$1" -v o="$2" 'BEGIN{ if (r=="NA"||o=="NA"||o==0) print "NA"; else printf "%.1f×", r/o }'; }
# verdict VALUE OP TARGET
verdict() { awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN{ if (v=="NA") {print "not measured"; exit}
  ok = (op==">=") ? (v+0 >= t+0) : (v+0 <= t+0); print ok ? "**met**" : "**not met**" }'; }
num() { awk -v r="$1" 'BEGIN{ sub(/×$/,"",r); print r }'; }
row() { # label key-ours key-ref unit
  local o r; o=$(get "$2"); r=$(get "$3")
  printf '| %s | %s %s | %s %s | %s |\n' "$1" "$o" "$4" "$r" "$4" "$(ratio "$r" "$o")"
}
range() { printf '%s–%s' "$(get "$1" 3)" "$(get "$1" 4)"; }

CPU=$(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)
MEM=$(awk '/^MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo)
NPROC=$(nproc)
GOV=$(go version | awk '{print $3}')
NODEV=$(node --version 2>/dev/null || echo none)

R_VER=$(ratio "$(get startup.ref.version)" "$(get startup.ours.version)")
R_HELP=$(ratio "$(get startup.ref.help)" "$(get startup.ours.help)")
R_DEV=$(ratio "$(get devonce.ref.selfhosted)" "$(get devonce.ours.selfhosted)")
R_DEV_ANON=$(ratio "$(get devonce.ref.selfhosted)" "$(get devonce.ours.anonymous)")
COLD_MAX=$(awk -v a="$(get coldstart.fresh)" -v b="$(get coldstart.existing)" 'BEGIN{print (a+0>b+0)?a:b}')
STARTUP_MIN=$(awk -v a="$(num "$R_VER")" -v b="$(num "$R_HELP")" 'BEGIN{print (a+0<b+0)?a:b}')

mkdir -p "$(dirname "$DOC")"
cat >"$DOC" <<EOF
# Benchmarks

convex-go (\`convex\`, this repository) against the reference CLI (npm \`convex\` $REF_VERSION),
measured side by side in one run of \`bench/run.sh\`. Runs of the two CLIs alternate, so load
from other processes falls on both alike. All timings are wall clock; "median (min–max)".

## Machine and run

| | |
|---|---|
| date | $START_TS (run took $((T1 - T0)) s) |
| CPU | $CPU, $NPROC cores (\`nproc\`) |
| memory | $MEM |
| load average (1/5/15 min) | before: $LOAD_BEFORE; after: $LOAD_AFTER |
| software | convex-go: $SRC_DESC (\`--version\`: $OURS_VERSION), $GOV; reference convex $REF_VERSION on Node.js $NODEV |
| app | \`$(basename "$APP")\` fixture (schema, 5 indexes, queries, mutations, actions, crons, http) |

**Read the load average above before the absolute figures**: anything else running on the
2 cores (builds, test suites) slows both sides, so absolute figures are noisy; the ratios are
the more trustworthy figures, since runs of the two CLIs alternate.

## Summary against the targets

| target | measured | verdict |
|---|---|---|
| start-up ≥ 100× faster than the reference (medians) | \`--version\` $R_VER, \`--help\` $R_HELP (fastest runs: $(ratio "$(get startup.ref.version 3)" "$(get startup.ours.version 3)"), $(ratio "$(get startup.ref.help 3)" "$(get startup.ours.help 3)")) | $(verdict "$STARTUP_MIN" ">=" 100) |
| \`dev --once\` ≥ 5× faster (self-hosted, same backend, no typecheck) | $R_DEV (ours with its own anonymous deployment: $R_DEV_ANON) | $(verdict "$(num "$R_DEV")" ">=" 5) |
| backend cold start ≤ 300 ms | fresh db $(get coldstart.fresh) ms, existing db $(get coldstart.existing) ms | $(verdict "$COLD_MAX" "<=" 300) |
| ≥ 2,000 small mutations/s | $(get backend.mutations) mutations/s | $(verdict "$(get backend.mutations)" ">=" 2000) |
| query p50 ≤ 2 ms | $(get backend.query.p50) ms | $(verdict "$(get backend.query.p50)" "<=" 2) |
| update latency p50 ≤ 10 ms (1 subscriber) | $(get sync.subs1.p50) ms | $(verdict "$(get sync.subs1.p50)" "<=" 10) |

## CLI: ours / reference / ratio

Ratio = reference ÷ ours (how many times faster, or smaller, ours is).

| measurement | ours (median) | reference (median) | ratio |
|---|---|---|---|
$(row '`--version` time' startup.ours.version startup.ref.version ms)
$(row '`--help` time' startup.ours.help startup.ref.help ms)
$(row '`--version`, reference through `npx convex` (as its docs run it)' startup.ours.version startup.npx.version ms)
$(row '`--version` peak RSS' startup.ours.version.maxrss startup.ref.version.maxrss MB)
$(row '`--help` peak RSS' startup.ours.help.maxrss startup.ref.help.maxrss MB)
$(row '`dev --once`, self-hosted, fresh db' devonce.ours.selfhosted devonce.ref.selfhosted ms)
$(row '… until "Convex functions ready"' devonce.ours.selfhosted.ready devonce.ref.selfhosted.ready ms)
$(row '… peak RSS' devonce.ours.selfhosted.maxrss devonce.ref.selfhosted.maxrss MB)
$(row '`dev --once`, ours anonymous local vs reference self-hosted' devonce.ours.anonymous devonce.ref.selfhosted ms)
$(row '… until "Convex functions ready"' devonce.ours.anonymous.ready devonce.ref.selfhosted.ready ms)
$(row '… peak RSS (ours includes its backend)' devonce.ours.anonymous.maxrss devonce.ref.selfhosted.maxrss MB)
$(row '`dev --once` again, same deployment, nothing changed' devonce-again.ours.selfhosted devonce-again.ref.selfhosted ms)
$(row '`deploy`, self-hosted, fresh db' deploy.ours.selfhosted deploy.ref.selfhosted ms)
$(row '… peak RSS' deploy.ours.selfhosted.maxrss deploy.ref.selfhosted.maxrss MB)
$(row '`dev --once --typecheck enable`, self-hosted' devonce-tsc.ours.selfhosted devonce-tsc.ref.selfhosted ms)

Spread (min–max, ms): \`--version\` ours $(range startup.ours.version), reference $(range startup.ref.version);
\`dev --once\` self-hosted ours $(range devonce.ours.selfhosted), reference $(range devonce.ref.selfhosted);
anonymous ours $(range devonce.ours.anonymous); \`deploy\` ours $(range deploy.ours.selfhosted),
reference $(range deploy.ref.selfhosted); with tsc ours $(range devonce-tsc.ours.selfhosted),
reference $(range devonce-tsc.ref.selfhosted).

## Backend (ours only)

| measurement | value |
|---|---|
| cold start, fresh database (exec → \`/instance_name\` answers) | $(get coldstart.fresh) ms ($(range coldstart.fresh)) |
| cold start, existing database holding the pushed app | $(get coldstart.existing) ms ($(range coldstart.existing)) |
| \`dev --once\` start → "Convex functions ready", anonymous (starts the backend in-process) | $(get devonce.ours.anonymous.ready) ms |
| \`dev --once\` start → "Convex functions ready", self-hosted (backend already up) | $(get devonce.ours.selfhosted.ready) ms |
| resident memory of an idle backend after the push | $(get backend.idle.rss) MB |
| small mutations (\`channels:create\`, 4 clients, $BACKEND_DURATION) | $(get backend.mutations)/s, p50 $(get backend.mutation.p50) ms, p99 $(get backend.mutation.p99) ms |
| query \`messages:list\` (10 of 50 docs, sequential) | p50 $(get backend.query.p50) ms, p99 $(get backend.query.p99) ms |
| mutation → subscriber update, 1 subscriber | p50 $(get sync.subs1.p50) ms, p99 $(get sync.subs1.p99) ms |
| mutation → subscriber update, 10 subscribers | p50 $(get sync.subs10.p50) ms, p99 $(get sync.subs10.p99) ms |
| mutation → subscriber update, 50 subscribers | p50 $(get sync.subs50.p50) ms, p99 $(get sync.subs50.p99) ms |

In the update-latency benchmark a Transition brings a subscriber to the latest state, so a
subscriber that falls behind gets one update covering several mutations: "delivered/expected" is
below 1 with many subscribers (1: $(get sync.subs1.delivered), 10: $(get sync.subs10.delivered),
50: $(get sync.subs50.delivered)); latency is counted over the updates that arrived.

## How it was measured

One command builds everything and measures: \`bash bench/run.sh\` (knobs: RUNS=$RUNS, TC_RUNS=$TC_RUNS,
STARTUP_RUNS=$STARTUP_RUNS, BACKEND_DURATION=$BACKEND_DURATION, SYNC_N=$SYNC_N). It runs:

1. \`CGO_ENABLED=0 go build -trimpath -tags urfave_cli_no_docs -ldflags "-s -w" -o \$OUT/convex .\` (the release build), \`go build -o \$OUT/clibench ./bench/cmd/clibench\`,
   \`go build -o \$OUT/bench-backend ./bench/backend\`;
   the reference is \`e2e/node/node_modules/.bin/convex\` (installed by \`npm ci\` in \`e2e/node\`).
2. Start-up: $STARTUP_TOOL —
   rounds of \`hyperfine -N --warmup 2 --runs N --export-json r.json "convex --version"\` (and \`--help\`,
   and the same for the reference), pooled by \`clibench pool\`; peak memory: \`/usr/bin/time -v convex --version\` → "Maximum resident
   set size", median of 3.
3. \`clibench compare -runs $RUNS -typecheck-runs $TC_RUNS\`, which for every run copies the app to a
   new directory (node_modules symlinked), gives the CLI a new empty HOME and XDG directories, and:
   - ours, anonymous: \`convex dev --once --typecheck disable --local-cloud-port P --local-site-port S\`
     (a new anonymous local deployment each run, its backend started by the CLI);
   - self-hosted, both CLIs: starts \`convex local-backend --port P --site-proxy-port S
     --instance-name clibench --instance-secret <64 hex> <new db>\`, waits for \`/instance_name\`,
     gets the key from \`convex local-backend keygen admin-key\`, and runs
     \`CONVEX_SELF_HOSTED_URL=… CONVEX_SELF_HOSTED_ADMIN_KEY=… <cli> dev --once --typecheck disable\`
     twice (the second run pushes nothing new)
     (then \`<cli> deploy --typecheck disable\`, and $TC_RUNS runs of \`dev --once --typecheck enable\`)
     with stdin not a terminal — \`deploy\` needs no other flag in self-hosted mode then;
   - wall time until exit, time until the success line appeared, and peak RSS from wait4's rusage;
   - cold start: exec of \`convex local-backend\` until \`GET /instance_name\` answers 200 (polled every
     1 ms), on a new database and on one that holds the pushed app.
4. \`\$OUT/bench-backend -duration $BACKEND_DURATION\` from the repository root (HTTP: 4 clients calling a small mutation,
   then 2,000 sequential queries; see bench/backend/main.go).
5. \`go test -run '^\$' -bench UpdateLatency -benchtime ${SYNC_N}x ./backend/sync/\`.

## Notes

- Typechecking is disabled in the main \`dev --once\`/\`deploy\` rows so that both CLIs do the same work:
  with TypeScript installed the reference runs \`tsc\` by default, and tsc (a Node.js program both CLIs
  start) then dominates, as the \`--typecheck enable\` row shows.
  Both CLIs are given \`--typecheck\` explicitly, so that their defaults cannot make them differ.
- A bare \`convex --version\` is answered before the command tree is built; \`--help\` builds the
  tree (with the deployment-selection flags of each command left until that command is used) and
  renders it, so it is the fuller measure of start-up.
- The reference's start-up cost is Node.js loading its bundled CLI; ours is a static Go binary
  of $BIN_MB MB whose package initialisers take $(get startup.ours.inits) ms in total (median of
  \`GODEBUG=inittrace=1 convex --version\`); the rest is exec, page faults and the runtime's start.
- Both CLIs talk to the same backend (ours, \`convex local-backend\`), so the \`dev --once\` and
  \`deploy\` ratios compare the CLIs, not backends. The reference's own local backend is a separate
  download that this machine cannot fetch, so "ours anonymous vs reference anonymous" is not measured.
- Each figure comes from a handful of runs on a loaded 2-core machine; differences under ~20 % are
  noise, and the reference's spread (min–max) is wide because a Node.js start of 0.6–1 s is more
  often hit by a burst of load than a 10 ms one. The backend figures (throughput, query latency)
  compete with that load for the same 2 cores, which lowers them by an amount this run cannot tell.

## Raw results

\`\`\`
key	median	min	max	n	unit
$(cat "$RES")
\`\`\`

\`\`\`
$(cat "$OUT/backend.txt")
$(grep -E '^Benchmark' "$OUT/sync.txt")
\`\`\`
EOF
log "wrote $DOC ($((T1 - T0)) s)"
cat "$RES"

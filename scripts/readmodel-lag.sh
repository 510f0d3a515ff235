#!/usr/bin/env bash
# Measures how far behind the commits ledgerd's read models run under load: starts ledgerd
# on a fresh embedded ledger, drives it with `ledgerctl load` (N submissions, C in flight),
# then reads the ledger_readmodel_lag_seconds histograms from /metrics and prints, per
# model, the batches applied and the p50/p99 lag (linear within the histogram's bucket),
# with load's own summary (events/s, append p99). Not run in CI.
#
#   scripts/readmodel-lag.sh [N] [CONCURRENCY]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-50000}
CONC=${2:-256}
ADDR=${LEDGER_LAG_LISTEN:-127.0.0.1:18091}
work=$(mktemp -d)
trap '[ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
go build -o "$work/ledgerd" ./cmd/ledgerd
go build -o "$work/ledgerctl" ./cmd/ledgerctl
"$work/ledgerd" --data "$work/data" --listen "$ADDR" --log-level warn 2>"$work/ledgerd.log" &
pid=$!
for _ in $(seq 1 100); do curl -sf "http://$ADDR/readyz" >/dev/null && break; sleep 0.1; done
# the lag of the genesis entries (folded at start) is not the lag under load: remember
# the histograms before, and subtract.
curl -s "http://$ADDR/metrics" | grep '^ledger_readmodel_lag_seconds_bucket' >"$work/before"
"$work/ledgerctl" load --server "http://$ADDR" --events "$N" --concurrency "$CONC"
sleep 3 # the last batches reach every model
curl -s "http://$ADDR/metrics" | grep '^ledger_readmodel_lag_seconds_bucket' >"$work/after"
awk '
  function key(line,   m) { match(line, /model="[^"]*"/); m = substr(line, RSTART+7, RLENGTH-8); return m }
  function le(line) { match(line, /le="[^"]*"/); return substr(line, RSTART+4, RLENGTH-5) }
  NR == FNR { before[$1] = $2; next }
  { m = key($1); b = le($1); n[m]++; les[m, n[m]] = b; cum[m, n[m]] = $2 - before[$1] }
  END {
    printf "%-16s %10s %12s %12s\n", "model", "batches", "p50 (s)", "p99 (s)"
    for (m in n) {
      total = cum[m, n[m]]
      printf "%-16s %10d %12s %12s\n", m, total, q(m, total, 0.5), q(m, total, 0.99)
    }
  }
  function q(m, total, p,   i, target, lo, prev, hi) {
    if (total == 0) return "-"
    target = p * total; lo = 0; prev = 0
    for (i = 1; i <= n[m]; i++) {
      if (cum[m, i] >= target) {
        hi = les[m, i]
        if (hi == "+Inf") return ">" lo
        return sprintf("%.4f", lo + (hi - lo) * (target - prev) / (cum[m, i] - prev))
      }
      lo = les[m, i]; prev = cum[m, i]
    }
  }' "$work/before" "$work/after"

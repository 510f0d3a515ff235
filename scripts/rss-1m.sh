#!/usr/bin/env bash
# Measures ledgerd's memory while it ingests N signed submissions (default 1,000,000) from
# `ledgerctl load` on this machine. Not run in CI: it takes minutes.
#
#   scripts/rss-1m.sh [N] [CONCURRENCY]
#
# Samples /proc/PID/status every second (VmHWM, VmRSS and its split into RssAnon — Go heap,
# stacks, runtime — and RssFile — pages of the bbolt file mapped and touched) and, every
# five seconds, the Go heap from /metrics. Prints the peaks and leaves the samples in the
# work directory it names (removed unless KEEP=1).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
CONC=${2:-64}
ADDR=${LEDGER_RSS_LISTEN:-127.0.0.1:18090}
work=$(mktemp -d)
trap '[ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; [ "${KEEP:-0}" = 1 ] || rm -rf "$work"' EXIT

go build -o "$work/ledgerd" ./cmd/ledgerd
go build -o "$work/ledgerctl" ./cmd/ledgerctl
"$work/ledgerd" --data "$work/data" --listen "$ADDR" --log-level warn 2>"$work/ledgerd.log" &
pid=$!
for _ in $(seq 1 100); do curl -sf "http://$ADDR/readyz" >/dev/null && break; sleep 0.1; done

kb() { awk -v k="$1:" '$1==k {print $2}' "/proc/$pid/status"; }
(
  printf 't_s\tvmhwm_kb\tvmrss_kb\trssanon_kb\trssfile_kb\theap_inuse_b\tentries\n'
  t0=$(date +%s); i=0
  while kill -0 "$pid" 2>/dev/null; do
    heap=""; entries=""
    if (( i % 5 == 0 )); then
      m=$(curl -sf "http://$ADDR/metrics" || true)
      heap=$(awk '$1=="go_memstats_heap_inuse_bytes" {print $2}' <<<"$m")
      entries=$(awk '$1=="ledger_entries" {print $2}' <<<"$m")
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(( $(date +%s) - t0 ))" "$(kb VmHWM)" "$(kb VmRSS)" "$(kb RssAnon)" "$(kb RssFile)" "$heap" "$entries"
    i=$((i + 1)); sleep 1
  done
) >"$work/rss.tsv" 2>/dev/null &
sampler=$!

start=$(date +%s)
"$work/ledgerctl" load --server "http://$ADDR" --events "$N" --concurrency "$CONC" --json >"$work/load.json"
elapsed=$(( $(date +%s) - start ))
hwm=$(kb VmHWM); rss=$(kb VmRSS)
sleep 2
kill -TERM "$pid"; wait "$pid" || true; pid=""
wait "$sampler" 2>/dev/null || true

mib() { awk -v k="$1" 'BEGIN {printf "%.1f MiB", k/1024}'; }
max_col() { awk -F'\t' -v c="$1" 'NR>1 && $c!="" && $c+0>m {m=$c+0} END {print m+0}' "$work/rss.tsv"; }
echo "events:            $N in ${elapsed}s ($(awk -v n="$N" -v s="$elapsed" 'BEGIN {printf "%.0f", n/s}')/s), concurrency $CONC"
echo "ledgerd VmHWM:     $(mib "$hwm")   (peak resident set)"
echo "ledgerd VmRSS end: $(mib "$rss")"
echo "peak RssAnon:      $(mib "$(max_col 4)")   (Go heap, stacks, runtime)"
echo "peak RssFile:      $(mib "$(max_col 5)")   (bbolt mmap pages touched)"
echo "peak Go heap:      $(awk -v b="$(max_col 6)" 'BEGIN {printf "%.1f MiB", b/1048576}')   (heap in use)"
echo "ledger.db:         $(du -m "$work/data/ledger.db" | cut -f1) MiB"
echo "samples:           $work/rss.tsv $( [ "${KEEP:-0}" = 1 ] || echo '(removed; KEEP=1 keeps them)')"

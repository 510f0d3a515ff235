#!/usr/bin/env bash
# Measures, in one run on this machine: the SM2/SM3 ceiling, the ledger's ingest and full
# verification, and the Tessera peer (shared/bench/peer-tessera), and prints the JSON of
# `ledgerctl bench` (ingest_ratio, verify_ratio, peer_per_s, ingest_peer_ratio).
#
#   scripts/bench-peer.sh [DATA_DIR] [extra ledgerctl bench flags...]
#
# PEER_DIR overrides where the peer's source is (default: shared/ beside the repository,
# else /work/shared). ROUNDS=N repeats the whole run N times (the machine is shared: look
# at the spread, not one figure).
set -euo pipefail
cd "$(dirname "$0")/.."
peer="${PEER_DIR:-}"
for d in "$peer" ../shared/bench/peer-tessera /work/shared/bench/peer-tessera; do
  if [ -n "$d" ] && [ -f "$d/main.go" ]; then peer=$(cd "$d" && pwd); break; fi
done
[ -f "$peer/main.go" ] || { echo "bench-peer: peer-tessera source not found; set PEER_DIR" >&2; exit 2; }
data="${1:-}"
[ $# -gt 0 ] && shift
if [ -z "$data" ]; then data=$(mktemp -d); trap 'rm -rf "$data"' EXIT; fi
bin=$(mktemp -d)/ledgerctl
go build -o "$bin" ./cmd/ledgerctl
for _ in $(seq 1 "${ROUNDS:-1}"); do
  "$bin" bench --data "$data" --peer "$peer" --json "$@"
done
rm -f "$bin"

#!/bin/bash
# Module-by-module dedup parity with libbpf v1.7.0, for sweeps larger than test:corpus runs:
#   scripts/dedup-sweep.sh BASE [EVERY [JOBS]] < list-of-modules
# For each module path read from stdin (every EVERY-th line, default 1), runs
#   btfo dedup -B BASE M REF          (the C harness over libbpf, ../shared/oracle/btfo.c)
#   btfkit dedup M --base BASE -o OUT (the bundled command, as users run it)
# on JOBS processes at a time (default 2) and prints one line per module: "ok" (byte-identical),
# "both-fail" (both exit non-zero and btfkit wrote nothing), or a mismatch ("DIFF",
# "ONE-FAILS", "LEFT-OUTPUT"); then the counts. Exit status 1 when any mismatch was found.
# Example: find ~/.cache/btfkit/corpus/6.12.107+deb12-amd64/modules -name '*.ko' | sort |
#          scripts/dedup-sweep.sh ~/.cache/btfkit/corpus/6.12.107+deb12-amd64/vmlinux.btf 4
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
base="${1:?usage: dedup-sweep.sh BASE [EVERY [JOBS]] < modules}"
every="${2:-1}"
jobs="${3:-2}"
btfo="${BTFO:-$HOME/.cache/btf-oracle/bin/btfo}"
cli="$here/../dist/src/cli/launcher.cjs"
[ -x "$btfo" ] || { echo "dedup-sweep: $btfo missing (../shared/oracle/build.sh builds it; or set BTFO)" >&2; exit 1; }
[ -f "$cli" ] || { echo "dedup-sweep: $cli missing (npm run build)" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

one() {
  local m="$1" d
  d="$(mktemp -d -p "$tmp")"
  local r1=0 r2=0
  "$btfo" dedup -B "$base" "$m" "$d/ref" >/dev/null 2>&1 || r1=$?
  node "$cli" dedup "$m" --base "$base" -o "$d/ours" >/dev/null 2>&1 || r2=$?
  if [ "$r1" -ne 0 ] && [ "$r2" -ne 0 ]; then
    if [ -e "$d/ours" ]; then echo "LEFT-OUTPUT $m"; else echo "both-fail $m"; fi
  elif [ "$r1" -ne 0 ] || [ "$r2" -ne 0 ]; then echo "ONE-FAILS libbpf=$r1 btfkit=$r2 $m"
  elif cmp -s "$d/ref" "$d/ours"; then echo "ok $m"
  else echo "DIFF $m"; fi
  rm -rf "$d"
}
export -f one
export base btfo cli tmp

awk -v n="$every" 'NR % n == 0' | xargs -r -d '\n' -P "$jobs" -I{} bash -c 'one "$1"' _ {} | tee "$tmp/out"
echo "$(grep -c '^ok ' "$tmp/out" || true) identical, $(grep -c '^both-fail ' "$tmp/out" || true) refused by both, $(grep -vc '^ok \|^both-fail ' "$tmp/out" || true) mismatches"
! grep -qv '^ok \|^both-fail ' "$tmp/out"

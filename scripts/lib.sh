# Shared helpers for the ClipCut scripts. Source it; do not run it.
# shellcheck shell=bash

CLIPCUT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CLIPCUT_ROOT

# Run with standard input closed (some CI runners do), the first file a server opens becomes its
# fd 0: redis-server then crashes registering its module pipe. The scripts read nothing from it.
[[ -e /proc/$$/fd/0 ]] || exec </dev/null

# Slow-to-build things live outside the clone, keyed by version, so a fresh
# clone (and CI) reuses them; `.deps` in the clone links there.
CLIPCUT_CACHE="${CLIPCUT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/clipcut}"
export CLIPCUT_CACHE

# Bump when the venv's package list changes so a new venv is built beside the old one.
CLIPCUT_VENV_VERSION="py3-v7"
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
export CLIPCUT_WHISPER_MULTILINGUAL_MODEL="${CLIPCUT_WHISPER_MULTILINGUAL_MODEL-$CLIPCUT_ROOT/.deps/models/ggml-base.bin}"

# Swift build flags every script shares.
swift_build_flags() {
    echo "-Xlinker -rpath -Xlinker $WHISPER_PREFIX/lib"
}

# Starts one ClipCut service in the background under a supervisor, logging to RUN/logs/NAME.log.
# RUN/pids/NAME.pid holds the supervisor's pid (stop_service stops it and the service), and
# RUN/pids/NAME.service.pid the service's own. Usage: start_service RUN BIN NAME PORT [VAR=value...]
# (the environment passes through: the server URLs, CLIPCUT_JWKS_URL…). A second replica of a
# service is named NAME@2: the same executable, its own pid files, log and data directory.
start_service() {
    local run=$1 bin=$2 name=$3 port=$4; shift 4
    mkdir -p "$run/logs" "$run/pids" "$run/data/$name"
    env CLIPCUT_HTTP_HOST=127.0.0.1 CLIPCUT_HTTP_PORT="$port" CLIPCUT_DATA_DIR="$run/data/$name" "$@" \
        nohup bash "$CLIPCUT_ROOT/scripts/supervise" "$run/pids/$name.service.pid" "$bin/${name%@*}" >>"$run/logs/$name.log" 2>&1 </dev/null &
    echo $! >"$run/pids/$name.pid"
}

# Stops what start_service started (TERM, then KILL after 15 s).
stop_service() {
    local pidfile="$1/pids/$2.pid"
    if [[ -f $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
        kill "$(cat "$pidfile")" 2>/dev/null || true
        wait_for 30 bash -c "! kill -0 $(cat "$pidfile") 2>/dev/null" || kill -9 "$(cat "$pidfile")" 2>/dev/null || true
    fi
    local service_pid="$1/pids/$2.service.pid"
    [[ -f $service_pid ]] && kill -9 "$(cat "$service_pid")" 2>/dev/null || true
    rm -f "$pidfile" "$service_pid"
}

# Writes RUN/edge/nginx.conf from scripts/edge/nginx.conf.template and starts (or reloads)
# nginx with it. Usage: start_edge RUN EDGE_PORT USER_PORT UPLOAD_PORT MONITORING_PORT
# [MEDIA_CACHE] (upload-service's CLIPCUT_MEDIA_CACHE_DIR; by default the one start_service gives
# it under RUN).
start_edge() {
    local run=$1 edge=$2 user=$3 upload=$4 monitoring=$5 media_cache=${6:-$1/data/upload-service/media-cache}
    local dir="$run/edge"
    mkdir -p "$dir/tmp"
    local user_directive=""
    # As root, nginx would run its workers as nobody, who may not read a checkout under /root.
    if ((EUID == 0)); then user_directive="user root root;"; fi
    sed -e "s|@USER_DIRECTIVE@|$user_directive|" -e "s|@RUN@|$dir|g" -e "s|@FRONTEND@|$CLIPCUT_ROOT/frontend-static|" \
        -e "s|@EDGE_PORT@|$edge|" -e "s|@USER_PORT@|$user|" -e "s|@UPLOAD_PORT@|$upload|" -e "s|@MONITORING_PORT@|$monitoring|" \
        -e "s|@MEDIA_CACHE@|$media_cache|" "$CLIPCUT_ROOT/scripts/edge/nginx.conf.template" >"$dir/nginx.conf"
    nginx -t -q -c "$dir/nginx.conf" -p "$dir" 2>"$dir/nginx-check.log" || { cat "$dir/nginx-check.log" >&2; return 1; }
    if [[ -f $dir/nginx.pid ]] && kill -0 "$(cat "$dir/nginx.pid")" 2>/dev/null; then
        kill -HUP "$(cat "$dir/nginx.pid")"
    else
        nginx -c "$dir/nginx.conf" -p "$dir"
    fi
}

# Stops the edge start_edge started.
stop_edge() {
    local pidfile="$1/edge/nginx.pid"
    [[ -f $pidfile ]] && kill "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
}

# Shared by scripts/image and scripts/image-test: podman from Debian, the flags it needs on this
# kind of machine, and the local base images that stand in for the Dockerfile's RUNTIME_IMAGE
# (debian:bookworm-slim) and SWIFT_IMAGE (swift:<version>-bookworm), made with mmdebstrap from
# Debian's packages and `podman import`, so that nothing is pulled from a registry.
# Source it after lib.sh; do not run it.
# shellcheck shell=bash

# What podman needs here, from Debian (installed the way scripts/bootstrap installs its packages).
IMAGE_APT_PACKAGES=(podman runc mmdebstrap uidmap slirp4netns fuse-overlayfs catatonit containernetworking-plugins)

# Installs IMAGE_APT_PACKAGES that are missing. Returns 1 (after saying why) when it cannot.
install_image_tools() {
    local missing=()
    for p in "${IMAGE_APT_PACKAGES[@]}"; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
            missing+=("$p")
        fi
    done
    ((${#missing[@]} == 0)) && return 0
    local sudo=""
    if [[ $(id -u) != 0 ]]; then
        command -v sudo >/dev/null || { log "not root and no sudo: cannot install ${missing[*]}"; return 1; }
        sudo="sudo"
    fi
    log "apt: installing ${missing[*]}"
    $sudo apt-get update -qq || return 1
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || return 1
}

# The flags every `podman run` and `podman build` here takes (PODMAN_FLAGS): Debian's runc (crun
# refuses this machine's hybrid cgroups), and ulimits no higher than the ones we have (podman's
# defaults raise them, which is refused here). Set by podman_flags.
PODMAN_FLAGS=()
podman_flags() {
    local nofile; nofile=$(ulimit -Hn)
    [[ $nofile =~ ^[0-9]+$ ]] || nofile=1024
    ((nofile > 65536)) && nofile=65536
    # The services open a socket per connection: as many files as we may, up to 65536. Processes
    # (threads) count per user across every container of uid 10001: 4096 is plenty and allowed.
    PODMAN_FLAGS=(--runtime runc --ulimit "nofile=$nofile:$nofile" --ulimit nproc=4096:4096)
}

# A short hash of its arguments (cache keys).
short_hash() { printf '%s\n' "$@" | sha256sum | cut -c1-12; }

# debian:bookworm-slim's dpkg filters (no documentation, manuals or translations), kept in the
# image as dpkg.cfg.d/99mmdebstrap so later `apt-get install`s leave them out too.
SLIM_DPKG_OPTIONS=(
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright'
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/groff/*'
    --dpkgopt='path-exclude=/usr/share/info/*' --dpkgopt='path-exclude=/usr/share/locale/*'
    --dpkgopt='path-exclude=/usr/share/lintian/*' --dpkgopt='path-exclude=/usr/share/linda/*'
)

# Makes (once) the stand-in for debian:bookworm-slim and prints its name. The root file system
# tarball is cached in $CLIPCUT_CACHE/images, keyed by mmdebstrap's version, the options and the
# month (so Debian's updates arrive); `podman import` turns it into localhost/clipcut-base.
base_image() {
    local version; version=$(dpkg-query -W -f='${Version}' mmdebstrap 2>/dev/null)
    local key; key=$(short_hash "$version" "${SLIM_DPKG_OPTIONS[@]}" "$(date +%Y-%m)")
    local image="localhost/clipcut-base:bookworm-slim-$key"
    if ! podman image exists "$image"; then
        local tarball="$CLIPCUT_CACHE/images/debian-bookworm-slim-$key.tar"
        if [[ ! -f $tarball ]]; then
            mkdir -p "$CLIPCUT_CACHE/images"
            log "base image: mmdebstrap bookworm (slim) into $tarball"
            mmdebstrap --quiet --variant=apt --format=tar "${SLIM_DPKG_OPTIONS[@]}" bookworm "$tarball.partial" >&2 \
                || { rm -f "$tarball.partial"; die "mmdebstrap failed"; }
            mv "$tarball.partial" "$tarball"
        fi
        podman import -q --change 'CMD ["bash"]' "$tarball" "$image" >/dev/null || die "podman import $tarball failed"
    fi
    echo "$image"
}

# The packages the official swift:<version>-bookworm image installs beside the toolchain.
SWIFT_IMAGE_PACKAGES=binutils,git,gnupg2,libc6-dev,libcurl4-openssl-dev,libedit2,libgcc-12-dev,libpython3-dev,libsqlite3-0,libstdc++-12-dev,libxml2-dev,libncurses-dev,libz3-dev,pkg-config,tzdata,zlib1g-dev,unzip,ca-certificates

# Makes (once) the stand-in for swift:<version>-bookworm from this machine's toolchain (the
# usr/ beside which `swift` is usr/bin/swift, installed into /usr as the official image has it) and prints
# its name. Two things of this workplace go in too, when the machine has them: its extra CA
# certificates (the way out to PyPI presents them; pip is told to use the system's bundle), and
# git's redirection of github.com to the local package copies in /opt/swift-packages (mount that
# directory into the build: scripts/image does). The image lives in podman's store, keyed by
# the toolchain's version, its location and the package list.
swift_image() {
    local swift; swift=$(command -v swift) || die "no swift on PATH: the Swift image is made from the local toolchain"
    local toolchain; toolchain=$(cd "$(dirname "$(readlink -f "$swift")")/../.." && pwd)
    [[ -x $toolchain/usr/bin/swift && -d $toolchain/usr/lib/swift/linux ]] || die "no Swift toolchain at $toolchain/usr" 
    local version; version=$("$swift" --version 2>/dev/null | sed -n 's/.*Swift version \([0-9.]*\).*/\1/p' | head -1)
    [[ -n $version ]] || die "cannot tell the Swift version"
    local cas=(); [[ -d /usr/local/share/ca-certificates ]] && mapfile -t cas < <(find /usr/local/share/ca-certificates -name '*.crt' | sort)
    local redirects=""; [[ -d /opt/swift-packages ]] && redirects=$(git config --system --get-regexp '^url\..*insteadof$' 2>/dev/null || true)
    local key; key=$(short_hash "$version" "$toolchain" "$SWIFT_IMAGE_PACKAGES" "$(cat "${cas[@]}" 2>/dev/null)" "$redirects" "$(date +%Y-%m)")
    local image="localhost/clipcut-swift:$version-bookworm-$key"
    if podman image exists "$image"; then echo "$image"; return; fi
    local work; work=$(mktemp -d "${TMPDIR:-/tmp}/clipcut-swift-image.XXXXXX")
    mkdir -p "$work/extra/usr/local/share/ca-certificates" "$work/extra/etc"
    ((${#cas[@]})) && cp "${cas[@]}" "$work/extra/usr/local/share/ca-certificates/"
    if ((${#cas[@]})); then printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n' >"$work/extra/etc/pip.conf"; fi
    if [[ -n $redirects ]]; then
        while read -r name value; do git config --file "$work/extra/etc/gitconfig" --add "$name" "$value"; done <<<"$redirects"
    fi
    log "swift image: bookworm with Swift $version from $toolchain (about 2 minutes)"
    mmdebstrap --quiet --variant=apt --format=tar "${SLIM_DPKG_OPTIONS[@]}" --include="$SWIFT_IMAGE_PACKAGES" \
        --customize-hook="tar -C '$toolchain' -cf - usr | tar -C \"\$1\" -xf - --keep-directory-symlink" \
        --customize-hook="tar -C '$work/extra' -cf - . | tar -C \"\$1\" -xf - --keep-directory-symlink --no-overwrite-dir" \
        --customize-hook='chroot "$1" update-ca-certificates >/dev/null' \
        bookworm "$work/rootfs.tar" >&2 || { rm -rf "$work"; die "mmdebstrap (swift image) failed"; }
    podman import -q --change 'CMD ["bash"]' "$work/rootfs.tar" "$image" >/dev/null || { rm -rf "$work"; die "podman import (swift image) failed"; }
    rm -rf "$work"
    if ! podman run --rm "${PODMAN_FLAGS[@]}" --network host "$image" swift --version >/dev/null 2>&1; then
        podman rmi -f "$image" >/dev/null 2>&1 || true
        die "the swift image $image does not run swift --version"
    fi
    echo "$image"
}

# Whether podman can run a container here (call it directly, not in $(...): it may lower
# PODMAN_FLAGS' ulimits to 1024 when the ones podman_flags chose are refused). When it cannot,
# returns 1 with the reason in PODMAN_PROBLEM.
# shellcheck disable=SC2034  # read by the scripts that source this file
PODMAN_PROBLEM=""
podman_works() {
    local image=$1 output
    output=$(podman run --rm "${PODMAN_FLAGS[@]}" --network host "$image" true 2>&1) && return 0
    if [[ $output == *rlimit* ]]; then
        PODMAN_FLAGS=(--runtime runc --ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
        output=$(podman run --rm "${PODMAN_FLAGS[@]}" --network host "$image" true 2>&1) && return 0
    fi
    PODMAN_PROBLEM="podman cannot run a container here: ${output//$'\n'/ }"
    return 1
}

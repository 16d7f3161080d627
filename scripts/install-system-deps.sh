#!/usr/bin/env bash
# Install the Debian packages listed in scripts/system-packages.txt that are missing.
#
# Why it never fails: `make run` must work on a fresh machine where this cannot install
# anything (not root, not Debian, no network); only the features that need a package miss it
# (the browser tests say so themselves). So it installs what it can with apt-get when it runs
# as root on a Debian-like system, and otherwise prints which packages are missing and why,
# exiting 0 either way.
#
# Usage: scripts/install-system-deps.sh [PACKAGE_LIST]   (default: scripts/system-packages.txt)
set -u

here="$(cd "$(dirname "$0")" && pwd)"
list="${1:-$here/system-packages.txt}"

if [ ! -r "$list" ]; then
    echo "install-system-deps: no package list at $list; nothing to do."
    exit 0
fi

# One name a line; '#' starts a comment; blank lines are ignored.
packages=()
while IFS= read -r line || [ -n "$line" ]; do
    line="${line%%#*}"
    line="$(echo "$line" | tr -d '[:space:]')"
    [ -n "$line" ] && packages+=("$line")
done <"$list"
[ "${#packages[@]}" -eq 0 ] && exit 0

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    echo "install-system-deps: this is not a Debian/apt system, so these packages were not checked" \
        "or installed: ${packages[*]}."
    echo "  Install their equivalents with your package manager if you need them (see CONTRIBUTING.md)."
    exit 0
fi

missing() {
    local name
    for name in "${packages[@]}"; do
        if ! dpkg-query -W -f='${Status}' "$name" 2>/dev/null | grep -q "install ok installed"; then
            echo "$name"
        fi
    done
}

mapfile -t absent < <(missing)
if [ "${#absent[@]}" -eq 0 ]; then
    echo "install-system-deps: all ${#packages[@]} system packages are installed."
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install-system-deps: missing system packages: ${absent[*]}."
    echo "  Not installed because this is not running as root. To install them:"
    echo "    sudo apt-get install -y --no-install-recommends ${absent[*]}"
    echo "  Everything else works without them (see CONTRIBUTING.md, 'System packages')."
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-system-deps: installing ${absent[*]} …"
if ! apt-get install -y -q --no-install-recommends "${absent[@]}"; then
    # A fresh machine may have no (or stale) package lists: refresh them once and retry.
    echo "install-system-deps: apt-get install failed; running apt-get update and trying again."
    if ! { apt-get update -q && apt-get install -y -q --no-install-recommends "${absent[@]}"; }; then
        # apt-get installs all or nothing: one package this system does not have must not keep
        # the others out. Try them one by one.
        echo "install-system-deps: installing the packages one by one."
        for name in "${absent[@]}"; do
            apt-get install -y -q --no-install-recommends "$name" || true
        done
        mapfile -t absent < <(missing)
        if [ "${#absent[@]}" -ne 0 ]; then
            echo "install-system-deps: could not install: ${absent[*]} (apt-get failed; see its output above)."
            echo "  Everything else works without them (see CONTRIBUTING.md, 'System packages')."
            exit 0
        fi
    fi
fi

mapfile -t absent < <(missing)
if [ "${#absent[@]}" -ne 0 ]; then
    echo "install-system-deps: still missing after apt-get: ${absent[*]}."
else
    echo "install-system-deps: done."
fi
exit 0

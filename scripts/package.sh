#!/usr/bin/env bash
# Builds a release `testbed` with the Swift runtime linked in statically and packs it for
# machines without a Swift toolchain:
#   dist/testbed-VERSION-linux-ARCH.tar.gz   binary, shell completions, --help text, docs
#   dist/testbed_VERSION_DEBARCH.deb          the same as a Debian package (dpkg-deb)
# VERSION is what the binary prints for `testbed --version` (Sources/Testbed/Version.swift).
#
# Environment:
#   TESTBED_BINARY      package this binary instead of building one (e.g. from an earlier run)
#   TESTBED_BUILD_PATH  SwiftPM's scratch path for the release build (default .build)
#   DIST                output folder (default dist/, ignored by git)
# A release build on 2 busy cores takes 10-20 minutes; later runs reuse the build folder.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
dist=${DIST:-$repo/dist}

binary=${TESTBED_BINARY:-}
if [ -z "$binary" ]; then
    scratch=${TESTBED_BUILD_PATH:-.build}
    swift build -c release --static-swift-stdlib --product testbed --scratch-path "$scratch"
    binary="$(swift build -c release --static-swift-stdlib --scratch-path "$scratch" --show-bin-path)/testbed"
fi
[ -x "$binary" ] || { echo "package.sh: no executable at $binary" >&2; exit 1; }

# The Swift runtime must be inside the binary: no libswift*.so in its needed libraries.
needed=$(objdump -p "$binary" | awk '$1 == "NEEDED" { print $2 }')
if grep -q '^libswift\|^libFoundation\|^libdispatch' <<<"$needed"; then
    echo "package.sh: $binary links the Swift runtime dynamically (build with --static-swift-stdlib):" >&2
    echo "$needed" >&2
    exit 1
fi

version=$("$binary" --version)
arch=$(uname -m)
debarch=$(dpkg --print-architecture)
echo "package.sh: testbed $version ($arch), needs: $(tr '\n' ' ' <<<"$needed")"

# ---- the files both packages carry, in a staging folder ----------------------------------
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
stage=$work/files
mkdir -p "$stage"/{completions,doc}
install -m 0755 "$binary" "$stage/testbed"
strip --strip-unneeded "$stage/testbed" 2>/dev/null || true
for shell in bash zsh fish; do
    "$stage/testbed" --generate-completion-script "$shell" > "$stage/completions/$shell"
done
# The help text of the command and of each subcommand (no man page: ArgumentParser's
# generator is a package plugin, not part of the binary).
{
    "$stage/testbed" --help
    for sub in $("$stage/testbed" --help | awk '/^SUBCOMMANDS:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }'); do
        printf '\n\n==== testbed %s ====\n\n' "$sub"
        "$stage/testbed" help "$sub"
    done
} > "$stage/doc/testbed-help.txt"
cp docs/getting-started.md README.md "$stage/doc/"
license=""
for candidate in LICENSE LICENSE.txt LICENSE.md COPYING; do
    [ -f "$candidate" ] && license=$candidate && break
done
[ -n "$license" ] || { echo "package.sh: the repository has no LICENSE file" >&2; exit 1; }
cp "$license" "$stage/doc/"
# The licenses of the Swift packages linked in, from the build's checkouts.
mkdir -p "$stage/third-party"
checkouts=${TESTBED_BUILD_PATH:-.build}/checkouts
for package in "$checkouts"/*/; do
    name=$(basename "$package")
    for file in "$package"LICENSE* "$package"COPYING*; do
        if [ -f "$file" ]; then install -m 0644 "$file" "$stage/third-party/$name-$(basename "$file")"; fi
    done
done
ls "$stage/third-party" | grep -q . || { echo "package.sh: no package licenses under $checkouts (set TESTBED_BUILD_PATH to the build's scratch path)" >&2; exit 1; }

mkdir -p "$dist"

# ---- (a) tarball: a /usr/local-style tree --------------------------------------------------
name=testbed-$version-linux-$arch
tree=$work/$name
install -D -m 0755 "$stage/testbed" "$tree/bin/testbed"
install -D -m 0644 "$stage/completions/bash" "$tree/share/bash-completion/completions/testbed"
install -D -m 0644 "$stage/completions/zsh" "$tree/share/zsh/site-functions/_testbed"
install -D -m 0644 "$stage/completions/fish" "$tree/share/fish/vendor_completions.d/testbed.fish"
mkdir -p "$tree/share/doc/testbed"
install -m 0644 "$stage"/doc/* "$tree/share/doc/testbed/"
cp -r "$stage/third-party" "$tree/share/doc/testbed/"
cat > "$tree/INSTALL.txt" <<EOF
testbed $version for Linux ($arch), the Swift runtime linked in.
Needs: $(tr '\n' ' ' <<<"$needed")
(Debian 12: apt-get install libpq5 libsqlite3-0, and postgresql for postgres services).
Install under /usr/local:  tar -C /usr/local --strip-components=1 -xzf $name.tar.gz
Then: testbed --version; docs in share/doc/testbed/getting-started.md.
EOF
tar -C "$work" --owner=0 --group=0 --numeric-owner -czf "$dist/$name.tar.gz" "$name"

# ---- (b) Debian package ---------------------------------------------------------------------
# Depends: the packages that hold the shared libraries the binary needs (dpkg -S), libc6 at
# least the version it was built against.
# The package that owns a file; with merged /usr a file may be registered under /lib or /usr/lib.
owner() {
    local real candidate
    real=$(readlink -f "$1")
    for candidate in "$1" "$real" "${real#/usr}" "/usr$real"; do
        dpkg -S "$candidate" 2>/dev/null | head -n 1 | cut -d: -f1 | grep . && return 0
    done
    return 0
}
depends=()
for lib in $needed; do
    path=$(ldconfig -p | awk -v lib="$lib" '$1 == lib { print $NF; exit }')
    [ -n "$path" ] || { echo "package.sh: $lib is not installed here" >&2; exit 1; }
    package=$(owner "$path")
    [ -n "$package" ] || { echo "package.sh: no Debian package holds $path" >&2; exit 1; }
    depends+=("$package")
done
libc=$(dpkg-query -W -f='${Version}' libc6 | cut -d- -f1)
depends_line=$(printf '%s\n' "${depends[@]}" | sort -u | sed "s/^libc6\$/libc6 (>= $libc)/" | paste -sd, | sed 's/,/, /g')
for required in libpq5 libsqlite3-0; do
    grep -q "$required" <<<"$depends_line" || { echo "package.sh: $required missing from Depends ($depends_line)" >&2; exit 1; }
done

deb=$work/deb
install -D -m 0755 "$stage/testbed" "$deb/usr/bin/testbed"
install -D -m 0644 "$stage/completions/bash" "$deb/usr/share/bash-completion/completions/testbed"
install -D -m 0644 "$stage/completions/zsh" "$deb/usr/share/zsh/vendor-completions/_testbed"
install -D -m 0644 "$stage/completions/fish" "$deb/usr/share/fish/vendor_completions.d/testbed.fish"
mkdir -p "$deb/usr/share/doc/testbed"
install -m 0644 "$stage"/doc/* "$deb/usr/share/doc/testbed/"
# Debian's copyright file: Testbed's license; the licenses of the Swift packages linked into
# the binary are in third-party/ beside it.
cat > "$deb/usr/share/doc/testbed/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: testbed
Comment: The binary links in the Swift runtime (Apache-2.0 with the Runtime Library
 Exception) and the Swift packages whose licenses are in
 /usr/share/doc/testbed/third-party/.

Files: *
Copyright: Testbed contributors
License: Apache-2.0
 On Debian systems the full text is in /usr/share/common-licenses/Apache-2.0,
 and in /usr/share/doc/testbed/LICENSE.
EOF
cp -r "$stage/third-party" "$deb/usr/share/doc/testbed/"
mkdir -p "$deb/DEBIAN"
cat > "$deb/DEBIAN/control" <<EOF
Package: testbed
Version: $version
Architecture: $debarch
Maintainer: Testbed maintainers <testbed@localhost>
Section: devel
Priority: optional
Installed-Size: $(du -sk "$deb/usr" | cut -f1)
Depends: $depends_line
Recommends: postgresql
Suggests: sqlite3, python3
Description: real service stacks for integration tests
 testbed starts the services a test suite needs (PostgreSQL clusters, SQLite
 databases, processes) from a YAML manifest, seeds them from fixtures, waits
 until they are healthy, runs the tests, and tears everything down whatever
 happens. The Swift runtime is linked in: no Swift toolchain is needed.
EOF
chmod -R u=rwX,go=rX "$deb"
chmod 0755 "$deb/usr/bin/testbed"
dpkg-deb --root-owner-group -Zxz --build "$deb" "$dist/testbed_${version}_$debarch.deb" >/dev/null

echo "package.sh: wrote"
ls -l "$dist/$name.tar.gz" "$dist/testbed_${version}_$debarch.deb" | awk '{ print "  " $5 "  " $NF }'
echo "Depends: $depends_line"

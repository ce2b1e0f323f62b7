#!/usr/bin/env bash
# Runs every spygen test on a fresh machine: installs the tools the tests use when they are
# missing (ninja, make, zig, emscripten, file/libmagic, pkg-config, graphviz, the compiler
# launchers ccache and distcc), then checks formatting, lints and runs the test suite.
# `.ci/run` runs exactly this with CI=true.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v ninja >/dev/null 2>&1 || need_apt+=(ninja-build)
command -v emcc >/dev/null 2>&1 || need_apt+=(emscripten)
command -v pkg-config >/dev/null 2>&1 || need_apt+=(pkg-config)
command -v file >/dev/null 2>&1 || need_apt+=(file)
command -v dot >/dev/null 2>&1 || need_apt+=(graphviz)
command -v jq >/dev/null 2>&1 || need_apt+=(jq)
command -v make >/dev/null 2>&1 || need_apt+=(make)
command -v ccache >/dev/null 2>&1 || need_apt+=(ccache)
# distcc and distccd; the package lists the installed compilers in /usr/lib/distcc, the only
# ones distccd runs (tests/launcher.rs starts its own distccd on 127.0.0.1).
{ command -v distcc && command -v distccd; } >/dev/null 2>&1 || need_apt+=(distcc)
[ -e /usr/include/magic.h ] || need_apt+=(libmagic-dev)
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "== installing with apt-get: ${need_apt[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
need_pip=()
python3 -c 'import ziglang' 2>/dev/null || need_pip+=(ziglang)
if [ ${#need_pip[@]} -gt 0 ]; then
    echo "== installing with pip: ${need_pip[*]}"
    python3 -m pip install -q --root-user-action=ignore "${need_pip[@]}"
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --all-targets --quiet -- -D warnings
echo "== cargo test"
# Tests that cannot run here (a tool missing outside CI) add a line to this file: counted below.
skips=target/tmp/skipped-tests.txt
mkdir -p target/tmp && rm -f "$skips"
cargo test --all-targets 2>&1
if [ -s "$skips" ]; then
    echo "== $(wc -l < "$skips") test(s) skipped (they passed without running their checks):"
    cat "$skips"
else
    echo "== no test skipped"
fi

# The Python wheel, as SPy's users install build tools: `pip install .` into a fresh virtualenv
# puts spygen on its PATH; that spygen builds the demo's native configuration.
echo "== pip install . into a fresh virtualenv"
venv=$(mktemp -d)
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check .
"$venv/bin/spygen" --version | grep -qx "spygen $(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)"
# pyproject.toml links the C library in statically on Linux with glibc.
if [ "$(uname -s)" = Linux ] && ldd --version 2>&1 | grep -qi "gnu libc\|glibc"; then
    ldd "$venv/bin/spygen" 2>&1 | grep -q "statically linked" \
        || { echo "the wheel's spygen is dynamically linked:"; ldd "$venv/bin/spygen"; exit 1; }
fi
demo=$(mktemp -d)
cp -r examples "$demo/"
rm -rf "$demo"/examples/out-of-tree/demo/build "$demo"/examples/out-of-tree/vendor/*/build
(cd "$demo/examples/out-of-tree/demo" && PATH="$venv/bin:$PATH" spygen build native-debug > "$demo/build.log" 2>&1) \
    || { cat "$demo/build.log"; exit 1; }
"$demo/examples/out-of-tree/demo/build/native/debug/encdemo" hello | grep -q "base64 hello aGVsbG8="
rm -rf "$demo"
echo "== the wheel's spygen built and ran the demo"

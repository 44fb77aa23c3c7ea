#!/usr/bin/env bash
# Builds the Python wheel that carries calm-audit (pyproject.toml, maturin `bindings = "bin"`):
#   .github/scripts/wheel.sh OUT_DIR [TARGET]
# maturin runs the same cargo build as .github/scripts/build.sh (release profile, --locked, the
# same target folder), so after that build the wheel takes a second: nothing is compiled
# twice. Without TARGET the wheel is for the host. Needs maturin on PATH (.ci/install-tools).
set -euo pipefail
cd "$(dirname "$0")/../.."

out=${1:?usage: wheel.sh OUT_DIR [TARGET]}
args=(build --release --locked --out "$out")
case "${2:-}" in
  # The static musl binary runs on every Linux: tagged for glibc (manylinux) and musl alike.
  *-linux-musl*)
    export RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static"
    args+=(--compatibility manylinux_2_17 musllinux_1_2)
    ;;
  *) args+=(--compatibility pypi) ;;
esac
if [ -n "${2:-}" ]; then
  host=$(rustc -vV | sed -n 's/^host: //p')
  if [ "$2" != "$host" ]; then args+=(--target "$2"); fi
fi
maturin "${args[@]}" >&2
ls "$out"/calm_audit-*.whl

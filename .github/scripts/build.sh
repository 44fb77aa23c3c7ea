#!/usr/bin/env bash
# Builds the release binary of calm-audit for one target, as the release workflow does
# (.github/workflows/release.yml), and prints the folder that holds it.
#   .github/scripts/build.sh TARGET [--print]
# For the host's own target the build goes to target/release with the release profile, the
# very build .ci/run and bench/perf.py make, so CI builds it once and the tests package it;
# any other target goes to target/TARGET/release. musl targets link statically (Rust's default
# for musl, asked for explicitly so a change of default cannot make a dynamic binary).
# --print prints the cargo command instead of running it.
set -euo pipefail
cd "$(dirname "$0")/../.."

target=${1:?usage: build.sh TARGET [--print]}
host=$(rustc -vV | sed -n 's/^host: //p')
command=(cargo build --release --locked --bin calm-audit)
dir=target/release
static=
case "$target" in *-linux-musl*) static=yes ;; esac
# A static musl build always names its target, also on a musl host (Alpine): with the target
# named, +crt-static applies to the binary only and not to the derive macros, which rustc
# cannot build statically linked.
if [ "$target" != "$host" ] || [ -n "$static" ]; then
  command+=(--target "$target")
  dir="target/$target/release"
fi
if [ -n "$static" ]; then export RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static"; fi
if [ "${2:-}" = --print ]; then
  printf '%s\n' "${command[*]}"
  exit 0
fi
if [ "$target" != "$host" ]; then rustup target add "$target" >&2; fi
"${command[@]}" >&2
echo "$dir"

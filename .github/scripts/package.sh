#!/usr/bin/env bash
# Packs a built calm-audit into the release archive of one target and writes its SHA-256:
#   .github/scripts/package.sh TARGET BIN_DIR OUT_DIR
# makes OUT_DIR/calm-audit-VERSION-TARGET.tar.gz (.zip for Windows) holding the folder
# calm-audit-VERSION-TARGET/ with the binary, README.md and CHANGELOG.md, and beside it
# ARCHIVE.sha256 in `sha256sum` format. VERSION is Cargo.toml's. The release workflow joins
# the .sha256 files into calm-audit-VERSION-sha256sums.txt, the file the GitHub Action and
# cargo-binstall users check against. Prints the archive's path.
set -euo pipefail
cd "$(dirname "$0")/../.."

target=${1:?usage: package.sh TARGET BIN_DIR OUT_DIR}
bin_dir=${2:?usage: package.sh TARGET BIN_DIR OUT_DIR}
out=${3:?usage: package.sh TARGET BIN_DIR OUT_DIR}
version=$(sed -n 's/^version = "\([^"]*\)".*/\1/p' Cargo.toml | head -n 1)
[ -n "$version" ] || { echo "package.sh: no version in Cargo.toml" >&2; exit 1; }
exe=calm-audit
case "$target" in *-windows-*) exe=calm-audit.exe ;; esac
[ -f "$bin_dir/$exe" ] || { echo "package.sh: $bin_dir/$exe is missing: build it first (.github/scripts/build.sh $target)" >&2; exit 1; }

name="calm-audit-$version-$target"
mkdir -p "$out"
out=$(cd "$out" && pwd)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/$name"
cp "$bin_dir/$exe" "$stage/$name/$exe"
chmod 755 "$stage/$name/$exe"
cp README.md CHANGELOG.md "$stage/$name/"
case "$target" in
  *-windows-*)
    archive="$name.zip"
    rm -f "$out/$archive"
    if command -v 7z >/dev/null 2>&1; then
      (cd "$stage" && 7z a -tzip -bso0 "$out/$archive" "$name")
    else
      (cd "$stage" && zip -qr "$out/$archive" "$name")
    fi
    ;;
  *)
    archive="$name.tar.gz"
    (cd "$stage" && tar -czf "$out/$archive" "$name")
    ;;
esac
if command -v sha256sum >/dev/null 2>&1; then
  (cd "$out" && sha256sum "$archive" > "$archive.sha256")
else
  (cd "$out" && shasum -a 256 "$archive" > "$archive.sha256")
fi
echo "$out/$archive"

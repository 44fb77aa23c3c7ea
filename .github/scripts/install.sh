#!/usr/bin/env bash
# The GitHub Action's install step (action.yml): puts calm-audit in ROOT/bin.
#
# A release tag of this repository (`uses: OWNER/calm-audit@v1.2.3`, or an alias such as `@v1`
# whose Cargo.toml says 1.x.y) downloads that version's release archive for the runner's
# platform and its SHA-256 from the release's checksum file, and installs the binary only when
# the two agree: a mismatch, a checksum file without the archive, or a failed download fails the
# step, and the file is never run. No Rust is needed, so it works in `container:` jobs (bash and
# one of curl, wget or python3 are enough).
# Only when no release exists for the Action's version (a branch or commit is used, the release
# is not published, the platform has no release build) is calm-audit built from the Action's own
# source with `cargo install --locked`, and the log says so. A build restored by the Action's
# cache is used as it is.
#
# Environment:
#   GITHUB_ACTION_PATH the Action's folder (default: this repository)
#   ACTION_REF         the ref the Action was used at (github.action_ref); empty: taken from
#                      the Action's folder, which the runner names .../OWNER/REPO/REF
#   ACTION_REPOSITORY  OWNER/REPO of the Action (github.action_repository); empty: from the folder
#   ROOT               where to install (ROOT/bin/calm-audit)
#   CALM_AUDIT_RELEASE_URL  base of the release downloads, default
#                      https://github.com/ACTION_REPOSITORY/releases/download; the files are
#                      BASE/vVERSION/calm-audit-VERSION-TARGET.tar.gz (.zip on Windows) and
#                      BASE/vVERSION/calm-audit-VERSION-sha256sums.txt
#   GITHUB_OUTPUT      receives source=release|cache|cargo
set -euo pipefail

say() { printf 'calm-audit install: %s\n' "$*"; }
fail() {
  printf '::error title=calm-audit install::%s\n' "$*"
  printf 'calm-audit install: %s\n' "$*" >&2
  exit 1
}
output() { if [ -n "${GITHUB_OUTPUT:-}" ]; then printf '%s\n' "$1" >> "$GITHUB_OUTPUT"; fi; }

action_path=${GITHUB_ACTION_PATH:-$(cd "$(dirname "$0")/../.." && pwd)}
root=${ROOT:?ROOT names the install folder}
ref=${ACTION_REF:-}
repository=${ACTION_REPOSITORY:-}
# The runner checks an Action out at .../_actions/OWNER/REPO/REF.
if [ -z "$ref" ] || [ -z "$repository" ]; then
  case "$action_path" in
    */_actions/*/*/*)
      tail=${action_path#*/_actions/}
      [ -n "$ref" ] || ref=${tail#*/*/}
      [ -n "$repository" ] || repository=$(printf '%s' "$tail" | cut -d/ -f1,2)
      ;;
  esac
fi

version=$(sed -n 's/^version = "\([^"]*\)".*/\1/p' "$action_path/Cargo.toml" | head -n 1)
[ -n "$version" ] || fail "no version in $action_path/Cargo.toml"

# The release is this very code when the ref is its tag or an alias that the version extends
# (v1 and v1.2 for 1.2.3); a branch or a commit may hold other code than any release.
release_ref=no
case "$ref" in
  "v$version" | "$version") release_ref=yes ;;
  v[0-9]* | [0-9]*)
    case "$ref" in
      *[!0-9v.]*) ;;
      *) case "${version}." in "${ref#v}".*) release_ref=yes ;; esac ;;
    esac
    ;;
esac

exe=calm-audit
kind=tar.gz
os=$(uname -s)
arch=$(uname -m)
case "$arch" in
  x86_64 | amd64) arch=x86_64 ;;
  aarch64 | arm64) arch=aarch64 ;;
esac
target=
case "$os:$arch" in
  Linux:x86_64 | Linux:aarch64) target="$arch-unknown-linux-musl" ;;
  Darwin:x86_64 | Darwin:aarch64) target="$arch-apple-darwin" ;;
  MINGW*:x86_64 | MSYS*:x86_64 | CYGWIN*:x86_64)
    target=x86_64-pc-windows-msvc
    exe=calm-audit.exe
    kind=zip
    ;;
esac

# fetch URL FILE: 0 downloaded, 2 not found (HTTP 404), 1 any other failure ($why says which).
why=
fetch() {
  local url=$1 file=$2 code log
  if command -v curl >/dev/null 2>&1; then
    # An https download never follows a redirect to plain http; curl's own error (connection
    # refused, TLS) is kept apart from the status code so the log says which it was.
    local proto_redir='=https'
    case "$url" in http://*) proto_redir='=https,http' ;; esac
    local err="${file}.err"
    if ! code=$(curl --silent --show-error --location --proto '=https,http' --proto-redir "$proto_redir" --retry 3 \
      --retry-delay 2 --connect-timeout 30 --max-time 600 --max-filesize 268435456 --output "$file" \
      --write-out '%{http_code}' "$url" 2>"$err"); then
      why="curl: $(tr '\n' ' ' <"$err")(HTTP status ${code:-none})"
      rm -f "$err"
      return 1
    fi
    rm -f "$err"
    case "$code" in
      200) return 0 ;;
      404) return 2 ;;
      *) why="HTTP status $code"; return 1 ;;
    esac
  elif command -v wget >/dev/null 2>&1; then
    # Not quiet: the status of a failed request is only in wget's messages (GNU and BusyBox).
    if log=$(wget -O "$file" "$url" 2>&1); then return 0; fi
    case "$log" in *" 404 "* | *" 404:"* | *"ERROR 404"*) return 2 ;; esac
    why="wget: $(printf '%s' "$log" | tail -n 2 | tr '\n' ' ')"
    return 1
  elif command -v python3 >/dev/null 2>&1; then
    log=$(python3 - "$url" "$file" 2>&1 <<'PY'
import sys, urllib.error, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=60) as r, open(sys.argv[2], "wb") as f:
        f.write(r.read())
except urllib.error.HTTPError as e:
    print(f"HTTP status {e.code}")
    sys.exit(2 if e.code == 404 else 1)
except Exception as e:
    print(e)
    sys.exit(1)
PY
) && return 0 || code=$?
    why="python3: $log"
    return "$code"
  fi
  why="none of curl, wget or python3 is installed"
  return 1
}

sha256() {
  # Read from standard input: GNU sha256sum prefixes the digest with `\` when the file's name
  # holds a backslash (a Windows runner's `D:\a\_temp`), which would never equal the list.
  if command -v sha256sum >/dev/null 2>&1; then sha256sum <"$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then shasum -a 256 <"$1" | cut -d' ' -f1
  elif command -v openssl >/dev/null 2>&1; then openssl dgst -sha256 -r <"$1" | cut -d' ' -f1
  elif command -v python3 >/dev/null 2>&1; then python3 -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$1"
  else return 1
  fi
}

# Builds from the Action's source, saying why: the one way calm-audit is installed without a
# release.
from_source() {
  if [ -x "$root/bin/$exe" ]; then
    say "$1; using the calm-audit built from this Action's source earlier (restored from the cache)"
    output source=cache
    return 0
  fi
  printf '::notice title=calm-audit install::%s\n' "$1: building calm-audit $version from source with cargo install --locked"
  say "$1; building calm-audit $version from the Action's source with cargo install --locked (this takes minutes; a release tag such as @v$version downloads a binary instead)"
  command -v cargo >/dev/null 2>&1 \
    || fail "no release to download ($1) and no cargo on PATH to build one: use the Action at a release tag, or install Rust before this step"
  cargo install --locked --path "$action_path" --root "$root"
  output source=cargo
}

if [ "$release_ref" != yes ]; then
  from_source "the Action is used at '${ref:-a local path}', which is not a release tag of version $version"
  exit 0
fi
if [ -z "$target" ]; then
  from_source "no release build for this platform ($os $arch)"
  exit 0
fi
base=${CALM_AUDIT_RELEASE_URL:-}
if [ -z "$base" ]; then
  [ -n "$repository" ] || fail "cannot tell which repository the Action comes from (github.action_repository is empty)"
  base="https://github.com/$repository/releases/download"
fi
base=${base%/}
archive="calm-audit-$version-$target.$kind"
sums="calm-audit-$version-sha256sums.txt"
url="$base/v$version"

work=$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/calm-audit-install.XXXXXX")
trap 'rm -rf "$work"' EXIT

status=0
fetch "$url/$sums" "$work/$sums" || status=$?
case "$status" in
  0) ;;
  2)
    from_source "no release v$version at $url (its $sums is not there)"
    exit 0
    ;;
  *) fail "could not download $url/$sums: $why" ;;
esac
# Lines of sha256sum (a `*` marks binary mode; CR of a file written on Windows dropped). Two
# different digests for one archive are a broken checksum file, not a choice.
expected=$(awk -v name="$archive" '{ sub(/\r$/, "") } ($2 == name || $2 == "*" name) && !seen[tolower($1)]++ { print tolower($1) }' "$work/$sums")
[ -n "$expected" ] || fail "the release v$version lists no SHA-256 for $archive in $sums: nothing installed"
case "$expected" in *$'\n'*) fail "$sums gives $archive more than one SHA-256: nothing installed" ;; esac
case "$expected" in
  *[!0-9a-f]*) fail "the SHA-256 of $archive in $sums is not a SHA-256: nothing installed" ;;
esac
[ ${#expected} -eq 64 ] || fail "the SHA-256 of $archive in $sums is not a SHA-256: nothing installed"

status=0
fetch "$url/$archive" "$work/$archive" || status=$?
case "$status" in
  0) ;;
  2) fail "the release v$version lists $archive but $url/$archive is not there: nothing installed" ;;
  *) fail "could not download $url/$archive: $why" ;;
esac
actual=$(sha256 "$work/$archive") || fail "no SHA-256 tool (sha256sum, shasum, openssl or python3) to verify $archive: nothing installed"
if [ "$actual" != "$expected" ]; then
  rm -f "$work/$archive"
  fail "SHA-256 mismatch for $archive: $sums says $expected, the download is $actual; the file was deleted and never run"
fi

mkdir -p "$work/unpacked"
case "$kind" in
  zip)
    if command -v unzip >/dev/null 2>&1; then
      unzip -q "$work/$archive" -d "$work/unpacked"
    else
      powershell -NoProfile -NonInteractive -Command "Expand-Archive -LiteralPath '$(cygpath -w "$work/$archive")' -DestinationPath '$(cygpath -w "$work/unpacked")'"
    fi
    ;;
  *) tar -xzf "$work/$archive" -C "$work/unpacked" || fail "$archive could not be unpacked (see the tar message above): nothing installed" ;;
esac
binary="$work/unpacked/calm-audit-$version-$target/$exe"
# A regular file, not a link: what is installed is the bytes the archive holds, never a file
# elsewhere on the runner that a link in the archive points to.
[ -f "$binary" ] && [ ! -L "$binary" ] || fail "$archive holds no regular file calm-audit-$version-$target/$exe: nothing installed"
mkdir -p "$root/bin"
cp "$binary" "$root/bin/$exe.tmp"
chmod 755 "$root/bin/$exe.tmp"
mv -f "$root/bin/$exe.tmp" "$root/bin/$exe"
say "installed calm-audit $version ($target) from $url/$archive, SHA-256 $actual verified against $sums"
output source=release

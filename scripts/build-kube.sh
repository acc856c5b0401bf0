#!/usr/bin/env bash
# Builds kube-apiserver and kube-controller-manager from Debian bookworm's `kubernetes` source package
# into a cache outside the work tree, keyed by the source version. A second run reuses the cache.
#
#   scripts/build-kube.sh            build if missing, print the bin directory on the last line
#   KUBE_CACHE_DIR=... overrides the cache root (default ~/.cache/argocd-ts)
#
# Needs root (or sudo) for apt-get the first time. Prints progress while it builds.
set -euo pipefail

KUBE_SRC_VERSION="1.20.5+really1.20.2-1.1+deb12u1"
KUBE_TAG="kube-v1.20.2"
CACHE_ROOT="${KUBE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/argocd-ts}"
OUT="$CACHE_ROOT/$KUBE_TAG"
BIN="$OUT/bin"
STAMP="$OUT/.built-from"

log() { printf '[build-kube] %s\n' "$*" >&2; }
die() { printf '[build-kube] error: %s\n' "$*" >&2; exit 1; }

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$KUBE_SRC_VERSION" ] \
  && [ -x "$BIN/kube-apiserver" ] && [ -x "$BIN/kube-controller-manager" ]; then
  log "reusing $BIN (built from kubernetes $KUBE_SRC_VERSION)"
  echo "$BIN"
  exit 0
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || die "not root and no sudo: install dpkg-dev golang-go golang-github-modern-go-reflect2-dev by hand, or run as root"
  SUDO="sudo"
fi

need_pkgs=()
for p in dpkg-dev golang-go golang-github-modern-go-reflect2-dev make rsync; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need_pkgs+=("$p")
done

SRC_LIST=/etc/apt/sources.list.d/argocd-ts-deb-src.sources
if [ ! -f "$SRC_LIST" ]; then
  log "adding a deb-src entry for bookworm main ($SRC_LIST)"
  $SUDO tee "$SRC_LIST" >/dev/null <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  UPDATED=0
else
  UPDATED=1
fi
if [ ${#need_pkgs[@]} -gt 0 ] || [ "$UPDATED" = 0 ]; then
  log "apt-get update"
  $SUDO apt-get update -qq || die "apt-get update failed: Debian's archive must be reachable"
fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
  log "installing ${need_pkgs[*]}"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null \
    || die "could not install ${need_pkgs[*]} with apt-get"
fi
command -v go >/dev/null || die "go not found after installing golang-go"

WORK="$CACHE_ROOT/src-$KUBE_TAG"
mkdir -p "$WORK"
SRCDIR=$(find "$WORK" -maxdepth 1 -type d -name 'kubernetes-*' | head -n 1)
if [ -z "$SRCDIR" ]; then
  log "fetching the kubernetes source package ($KUBE_SRC_VERSION) with apt-get source"
  ( cd "$WORK" && apt-get source -qq "kubernetes=$KUBE_SRC_VERSION" >/dev/null 2>"$WORK/apt-source.log" ) \
    || { cat "$WORK/apt-source.log" >&2; die "apt-get source kubernetes=$KUBE_SRC_VERSION failed"; }
  SRCDIR=$(find "$WORK" -maxdepth 1 -type d -name 'kubernetes-*' | head -n 1)
  [ -n "$SRCDIR" ] || die "apt-get source produced no kubernetes-* directory in $WORK"
fi
log "source tree: $SRCDIR"

# Fix 1: reflect2 v1.0.1 breaks under Go >= 1.18; Debian's 1.0.2 is the fixed source.
R2_SRC=/usr/share/gocode/src/github.com/modern-go/reflect2
R2_DST="$SRCDIR/vendor/github.com/modern-go/reflect2"
[ -d "$R2_SRC" ] || die "$R2_SRC missing: install golang-github-modern-go-reflect2-dev"
if ! cmp -s "$R2_SRC/reflect2.go" "$R2_DST/reflect2.go"; then
  log "replacing vendored modern-go/reflect2 with Debian's 1.0.2"
  rm -rf "$R2_DST"
  mkdir -p "$R2_DST"
  find "$R2_SRC" -maxdepth 1 -type f -name '*.go' ! -name '*_test.go' -exec cp {} "$R2_DST/" \;
  # go vendoring keeps assembly stubs as well
  find "$R2_SRC" -maxdepth 1 -type f -name '*.s' -exec cp {} "$R2_DST/" \;
fi

# Fix 2: the vendored OpenAPI validators treat every empty string as null under Go >= 1.19 (reflect.Zero
# returns a shared zero buffer, so DeepEqual of two Values matches any zero value). Only nil is null.
NULL_CHECK='if data == nil || reflect.DeepEqual(reflect.Zero(reflect.TypeOf(data)), reflect.ValueOf(data)) {'
for f in "$SRCDIR/vendor/k8s.io/kube-openapi/pkg/validation/validate/type.go" \
         "$SRCDIR/vendor/github.com/go-openapi/validate/type.go"; do
  [ -f "$f" ] || continue
  if grep -qF "$NULL_CHECK" "$f"; then
    log "patching null detection in ${f#"$SRCDIR"/}"
    sed -i 's/if data == nil || reflect.DeepEqual(reflect.Zero(reflect.TypeOf(data)), reflect.ValueOf(data)) {/if data == nil {/' "$f"
  fi
  ! grep -qF "$NULL_CHECK" "$f" || die "could not patch $f"
  grep -q 'if data == nil {' "$f" || die "unexpected content in $f: null check not found"
done

mkdir -p "$BIN"
# Build as debian/rules does: the Makefile in GOPATH mode with the vendored tree, static (no cgo).
export CGO_ENABLED=0 GOCACHE="$CACHE_ROOT/gocache" HOME="${HOME:-/root}"
for what in kube-apiserver kube-controller-manager; do
  if [ -x "$BIN/$what" ] && [ -f "$STAMP.$what" ]; then
    log "$what already built"
    continue
  fi
  log "building $what with 'make WHAT=cmd/$what' (about 4 minutes on 2 cores, 1.3 GB peak memory)"
  start=$(date +%s)
  ( cd "$SRCDIR" && make WHAT="cmd/$what" ) >"$WORK/make-$what.log" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 15
    kill -0 "$pid" 2>/dev/null || break
    # (no match yet is normal early in a build: never let grep's status end the script under pipefail)
    step=$({ grep -E '^\s+(\./)?(vendor|cmd)/' "$WORK/make-$what.log" || true; } | tail -n 1 | tr -d ' ')
    log "$what: $(( $(date +%s) - start ))s elapsed, compiling ${step:-...}"
  done
  if ! wait "$pid"; then
    tail -n 40 "$WORK/make-$what.log" >&2
    die "make WHAT=cmd/$what failed (full log: $WORK/make-$what.log)"
  fi
  [ -x "$SRCDIR/_output/bin/$what" ] || die "make produced no _output/bin/$what"
  cp "$SRCDIR/_output/bin/$what" "$BIN/$what.tmp"
  mv "$BIN/$what.tmp" "$BIN/$what"
  touch "$STAMP.$what"
  log "$what built in $(( $(date +%s) - start ))s"
done
echo "$KUBE_SRC_VERSION" > "$STAMP"
log "done: $BIN"
echo "$BIN"

#!/usr/bin/env bash
# Installs everything argocd-ts needs on a fresh Debian 12 machine with Node 20, idempotently:
#   1. Debian packages (after apt-get update, only when something is missing),
#   2. npm dependencies (npm ci, from the committed lockfile),
#   3. kube-apiserver and kube-controller-manager built from Debian's source (cached, ~5 min once).
# Needs root or sudo for apt-get. Safe to run again: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*" >&2; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

node_version=$(node -p 'process.versions.node' 2>/dev/null) || die "Node.js is not installed: argocd-ts needs Node >= 20.19"
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
  || die "Node $node_version is too old: argocd-ts needs Node >= 20.19"

# Debian packages the project uses at run or test time (one list; keep it in step with docs/testing.md).
APT_PACKAGES=(
  git            # the repo server's git client, and test repositories
  ca-certificates
  openssl
  etcd-server    # the local Kubernetes control plane's store
  redis-server   # shared caches and login counters when several API servers run
  zsh            # tests that the generated zsh completion script loads
)

SUDO=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || die "not root and no sudo: install ${APT_PACKAGES[*]} by hand"
  SUDO="sudo"
fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq || die "apt-get update failed: Debian's archive must be reachable"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed"
else
  log "Debian packages present"
fi

log "npm ci"
npm_log=$(mktemp)
if ! npm ci --no-audit --no-fund --loglevel=error >"$npm_log" 2>&1; then
  grep -v 'Unknown user config "nodedir"' "$npm_log" >&2 || true
  rm -f "$npm_log"
  die "npm ci failed (output above)"
fi
rm -f "$npm_log"
[ -x node_modules/.bin/tsx ] || die "npm ci did not install the dependencies"

log "kube-apiserver and kube-controller-manager (built once from Debian's kubernetes source, then cached)"
bash scripts/build-kube.sh >/dev/null
log "ready"

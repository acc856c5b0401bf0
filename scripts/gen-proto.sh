#!/usr/bin/env bash
# Generates the TypeScript of proto/ into src/reposerver/gen/ with buf and protoc-gen-es from
# node_modules, offline (no Buf Schema Registry).
#   scripts/gen-proto.sh          regenerate
#   scripts/gen-proto.sh --check  fail when the committed code differs from what the protos give
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="$root/node_modules/.bin:$PATH"
export BUF_CACHE_DIR="${BUF_CACHE_DIR:-${TMPDIR:-/tmp}/argocd-ts-buf-cache}"
gen_dir="src/reposerver/gen"

if [[ "${1:-}" == "--check" ]]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  buf generate --template buf.gen.yaml -o "$tmp"
  if ! diff -r "$tmp/$gen_dir" "$gen_dir" >/dev/null; then
    echo "generated code in $gen_dir is out of date: run scripts/gen-proto.sh" >&2
    diff -r "$tmp/$gen_dir" "$gen_dir" | head -40 >&2 || true
    exit 1
  fi
  echo "generated code in $gen_dir is current"
  exit 0
fi
if [[ $# -gt 0 ]]; then
  echo "usage: scripts/gen-proto.sh [--check]" >&2
  exit 2
fi
buf generate --template buf.gen.yaml
echo "generated $gen_dir"

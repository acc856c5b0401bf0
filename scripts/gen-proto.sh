#!/usr/bin/env bash
# Generates the TypeScript of proto/ with buf and protoc-gen-es from node_modules, offline (no Buf
# Schema Registry): proto/argocd/server into src/server/gen/, everything else into
# src/reposerver/gen/.
#   scripts/gen-proto.sh          regenerate
#   scripts/gen-proto.sh --check  fail when the committed code differs from what the protos give
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="$root/node_modules/.bin:$PATH"
export BUF_CACHE_DIR="${BUF_CACHE_DIR:-${TMPDIR:-/tmp}/argocd-ts-buf-cache}"
gen_dir="src/reposerver/gen"
server_gen_dir="src/server/gen"
server_protos="proto/argocd/server"

if [[ "${1:-}" == "--check" ]]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  buf generate --template buf.gen.yaml --exclude-path "$server_protos" -o "$tmp"
  buf generate --template buf.gen.server.yaml --path "$server_protos" -o "$tmp"
  for dir in "$gen_dir" "$server_gen_dir"; do
    if ! diff -r "$tmp/$dir" "$dir" >/dev/null; then
      echo "generated code in $dir is out of date: run scripts/gen-proto.sh" >&2
      diff -r "$tmp/$dir" "$dir" | head -40 >&2 || true
      exit 1
    fi
  done
  echo "generated code in $gen_dir and $server_gen_dir is current"
  exit 0
fi
if [[ $# -gt 0 ]]; then
  echo "usage: scripts/gen-proto.sh [--check]" >&2
  exit 2
fi
buf generate --template buf.gen.yaml --exclude-path "$server_protos"
buf generate --template buf.gen.server.yaml --path "$server_protos"
echo "generated $gen_dir and $server_gen_dir"

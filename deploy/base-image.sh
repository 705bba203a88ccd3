#!/usr/bin/env bash
# Builds the Dockerfile's base image (node:20-bookworm-slim) on a machine that cannot pull it:
# a minimal Debian bookworm from the distribution's own mirror, this machine's Node binary and
# npm, and a `node` user (uid 1000) as the official image has. The Dockerfile stays unchanged.
# Needs root, debootstrap and podman. Does nothing when the tag already exists.
#   bash deploy/base-image.sh [tag]
set -euo pipefail
tag="${1:-docker.io/library/node:20-bookworm-slim}"
here="$(cd "$(dirname "$0")" && pwd)"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$here/containers.conf}"

if podman image exists "$tag"; then
  echo "base image $tag: already there"
  exit 0
fi
node_bin="$(command -v node)"
case "$("$node_bin" --version)" in
  v20.*) ;;
  *) echo "base image: Node 20 is needed (found $("$node_bin" --version))" >&2; exit 1 ;;
esac
npm_dir="$(npm root -g)/npm"
[ -f "$npm_dir/bin/npm-cli.js" ] || { echo "base image: npm not found at $npm_dir" >&2; exit 1; }
mirror="$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)"
mirror="${mirror:-http://deb.debian.org/debian}"

root="$(mktemp -d /tmp/authbench-base-XXXXXX)"
trap 'rm -rf "$root"' EXIT
echo "base image: debootstrap bookworm from $mirror"
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.log" 2>&1 || {
  tail -20 "$root.log" >&2; rm -f "$root.log"; exit 1
}
rm -f "$root.log"
install -D -m 0755 "$node_bin" "$root/usr/local/bin/node"
mkdir -p "$root/usr/local/lib/node_modules"
cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
# This machine's trust: where outbound TLS goes through an inspecting proxy, its CA is in the
# host's bundle, and npm and Node inside the build must trust it as the host does.
ca_bundle="${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}"
ca_change=()
if [ -f "$ca_bundle" ]; then
  install -D -m 0644 "$ca_bundle" "$root/etc/ssl/certs/authbench-host-ca.crt"
  mkdir -p "$root/usr/local/etc"
  echo "cafile=/etc/ssl/certs/authbench-host-ca.crt" >"$root/usr/local/etc/npmrc"
  ca_change=(--change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/authbench-host-ca.crt')
fi
chroot "$root" groupadd --gid 1000 node
chroot "$root" useradd --uid 1000 --gid node --create-home --shell /bin/bash node
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/usr/share/doc "$root"/usr/share/man
tar -C "$root" --numeric-owner -c . | podman import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV NODE_VERSION='"$("$node_bin" --version | tr -d v)" \
  "${ca_change[@]}" --change 'CMD ["node"]' - "$tag" >/dev/null
echo "base image $tag: built ($(podman image inspect --format '{{.Size}}' "$tag") bytes)"

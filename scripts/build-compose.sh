#!/bin/bash
# build-compose.sh [DIR]: builds Docker Compose from its module source (the
# version pinned below, served by the Go module proxy) and installs it as the
# CLI plugin DIR/docker-compose (default /usr/local/lib/docker/cli-plugins,
# where both `tug` and the stock `docker` CLI find it). Compose is not part of
# tug's module graph: it is built in a copy of its own module.
#
# The build is cached by version: a plugin whose stamp (DIR/.docker-compose.version)
# names the pinned version is kept; the compiled packages stay in the Go build
# cache, so a rebuild after a version bump reuses what did not change.
set -euo pipefail
COMPOSE_MODULE=github.com/docker/compose/v5
COMPOSE_VERSION=v5.6.0
dir=${1:-/usr/local/lib/docker/cli-plugins}
stamp=$dir/.docker-compose.version
if [ -x "$dir/docker-compose" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$COMPOSE_VERSION" ]; then
	exit 0
fi
export PATH=/usr/local/go/bin:$PATH
start=$(date +%s)
# `go install module/cmd@version` is refused (Compose's go.mod has exclude
# directives): download the module, copy it out of the read-only module cache
# and build its cmd package inside it, with its own go.mod and go.sum.
src=$(go mod download -json "$COMPOSE_MODULE@$COMPOSE_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -d "$src" ] || { echo "build-compose: go mod download gave no folder for $COMPOSE_MODULE@$COMPOSE_VERSION" >&2; exit 1; }
work=$(mktemp -d)
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
cp -r "$src/." "$work/"
chmod -R u+w "$work"
mkdir -p "$dir"
(cd "$work" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath \
	-ldflags "-s -w -X $COMPOSE_MODULE/internal.Version=$COMPOSE_VERSION" \
	-o "$dir/docker-compose.tmp" ./cmd)
mv "$dir/docker-compose.tmp" "$dir/docker-compose"
echo "$COMPOSE_VERSION" >"$stamp"
echo "build-compose: $COMPOSE_MODULE@$COMPOSE_VERSION built into $dir/docker-compose in $(($(date +%s) - start)) s"

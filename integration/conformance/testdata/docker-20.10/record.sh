#!/bin/sh
# Records Docker's answers for the shapes golden test (shapes_test.go):
# run as root next to a dockerd, from this directory. Every object is made
# here from /bin/busybox (no registry) and removed again; the same objects
# are made on tugd by the test. Writes one JSON file per answer.
set -eu
SOCK=${DOCKER_SOCK:-/var/run/docker.sock}
P=conform-rec
api() { curl -sf --unix-socket "$SOCK" -H 'Content-Type: application/json' "$@"; }
V=$(api http://d/version | python3 -c 'import json,sys; print(json.load(sys.stdin)["ApiVersion"])')
U="http://d/v$V"

tmp=$(mktemp -d)
trap 'docker rm -f $P-c >/dev/null 2>&1 || true; docker network rm $P-net >/dev/null 2>&1 || true;
      docker volume rm $P-vol >/dev/null 2>&1 || true; docker rmi $P-img >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin"
cp /bin/busybox "$tmp/bin/busybox"
for a in sh sleep true; do ln -s busybox "$tmp/bin/$a"; done
tar -C "$tmp" -c . | docker import -c 'CMD ["sh"]' - $P-img >/dev/null

docker network create $P-net >/dev/null
docker volume create $P-vol >/dev/null
docker run -d --name $P-c --network $P-net -v $P-vol:/data $P-img sleep 1000 >/dev/null
EXEC=$(api -X POST -d '{"Cmd":["true"],"AttachStdout":true}' "$U/containers/$P-c/exec" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Id"])')

q() { python3 -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$1"; }
api "$U/containers/$P-c/json" >container-inspect.json
api "$U/containers/json?all=1&size=1&filters=$(q "{\"name\":[\"$P-c\"]}")" >container-list.json
api "$U/images/$P-img/json" >image-inspect.json
api "$U/images/json?filters=$(q "{\"reference\":[\"$P-img\"]}")" >image-list.json
api "$U/networks/$P-net" >network-inspect.json
api "$U/networks?filters=$(q "{\"name\":[\"$P-net\"]}")" >network-list.json
api "$U/volumes/$P-vol" >volume-inspect.json
api "$U/volumes?filters=$(q "{\"name\":[\"$P-vol\"]}")" >volume-list.json
api "$U/exec/$EXEC/json" >exec-inspect.json
api "$U/info" >info.json
api "$U/version" >version.json
api "$U/system/df" >system-df.json
echo "recorded Docker API $V" >&2

#!/bin/bash
# testcontainers.sh: runs the testcontainers-go tests (integration/testcontainers,
# a nested Go module) against a tugd this script starts on a temporary data
# root and socket, with a busybox image imported as tc-busybox:latest. Ryuk
# is switched off (TESTCONTAINERS_RYUK_DISABLED=true, see that package's
# doc.go). Afterwards it checks that the tests left no container and no
# network, then removes everything. Needs root, bin/ (make build) and
# Debian's busybox-static.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
tmp=$(mktemp -d /tmp/tug-tc.XXXXXX)
sock=$tmp/run/tug.sock
tug() { bin/tug -H "unix://$sock" "$@"; }
pid=
cleanup() {
	set +e
	if [ -n "$pid" ]; then
		ids=$(tug ps -aq)
		[ -z "$ids" ] || tug rm -f $ids >/dev/null
		tug network prune -f >/dev/null
		kill -TERM "$pid"
		wait "$pid"
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
# As in the Go tests' daemons: no pull ever leaves the machine.
HTTPS_PROXY=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 NO_PROXY=localhost,127.0.0.0/8,::1 \
	bin/tugd -H "unix://$sock" --data-root "$tmp/root" --exec-root "$tmp/run" >"$tmp/tugd.log" 2>&1 &
pid=$!
for _ in $(seq 100); do tug version >/dev/null 2>&1 && break; sleep 0.1; done
tug version >/dev/null || { cat "$tmp/tugd.log"; exit 1; }

# The test image: busybox-static and its applets.
mkdir -p "$tmp/rootfs/bin" "$tmp/rootfs/etc" "$tmp/rootfs/tmp"
cp /bin/busybox "$tmp/rootfs/bin/busybox"
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$tmp/rootfs/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$tmp/rootfs/etc/passwd"
echo 'root:x:0:' >"$tmp/rootfs/etc/group"
tar -C "$tmp/rootfs" -c . | tug import - tc-busybox:latest >/dev/null

status=0
(cd integration/testcontainers && DOCKER_HOST="unix://$sock" TESTCONTAINERS_RYUK_DISABLED=true TUG_TC_IMAGE=tc-busybox:latest \
	go test -count=1 -v ./... 2>&1) | tee "$tmp/test.log" | grep -E '^(=== RUN|--- |PASS|FAIL|ok|panic)|_test.go' || true
grep -q '^ok' "$tmp/test.log" || { status=1; tail -50 "$tmp/test.log"; echo "tugd log:"; tail -50 "$tmp/tugd.log"; }

left=$(tug ps -aq)
[ -z "$left" ] || { echo "testcontainers left containers: $left"; status=1; }
nets=$(tug network ls -q | wc -l)
[ "$nets" -eq 3 ] || { echo "testcontainers left networks:"; tug network ls; status=1; }
exit $status

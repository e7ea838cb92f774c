#!/bin/sh
# A stand-in for a database: it records each start in the volume and serves
# the volume over HTTP.
mkdir -p /data
echo "boot $(date -u +%Y-%m-%dT%H:%M:%SZ)" >>/data/boot.log
echo "db: $(wc -l </data/boot.log) boot(s) recorded"
exec httpd -f -v -p 5432 -h /data

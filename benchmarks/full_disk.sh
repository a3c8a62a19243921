#!/bin/bash
# The full-disk check of issue 17 (needs root, for a small tmpfs): a server whose
# data directory is on a 300 KiB tmpfs gets events until its ingress log cannot be
# written. Expected: 507 `storage` naming the reason, the app `failed` with that
# reason, and after a restart every acknowledged event is back (the torn tail cut).
#   benchmarks/full_disk.sh            (SLUICE=path to use another binary)
set -u
mkdir -p /tmp/smalldisk
mountpoint -q /tmp/smalldisk || mount -t tmpfs -o size=300k tmpfs /tmp/smalldisk || exit 2
S=${SLUICE:-target/release/sluice}
D=/tmp/smalldisk/data
rm -rf $D
$S serve --listen 127.0.0.1:18931 --data-dir $D 2>/tmp/fulldisk.err & pid=$!
sleep 1
curl -s -XPOST --data-binary "@/dev/stdin" localhost:18931/v1/apps <<'APP' >/dev/null
@app:name('Full')
define stream S (id long, pad string);
@primaryKey('id')
define table T (id long, pad string);
from S insert into T;
APP
pad=$(head -c 400 /dev/zero | tr '\0' x)
ok=0
for i in $(seq 1 2000); do
  code=$(curl -s -o /tmp/fulldisk.body -w '%{http_code}' -XPOST -H 'content-type: application/json' -d "{\"id\":$i,\"pad\":\"$pad\"}" localhost:18931/v1/apps/Full/streams/S)
  if [ "$code" != 200 ]; then echo "event $i: $code $(cat /tmp/fulldisk.body)"; break; fi
  ok=$i
done
echo "acknowledged: $ok"
code=$(curl -s -o /tmp/fulldisk.body -w '%{http_code}' -XPOST -H 'content-type: application/json' -d "{\"id\":99999,\"pad\":\"x\"}" localhost:18931/v1/apps/Full/streams/S)
echo "next push: $code $(cat /tmp/fulldisk.body)"
curl -s localhost:18931/v1/apps/Full | python3 -c 'import json,sys; d=json.load(sys.stdin); print("state:", d["state"], "failure:", d["failure"], "log:", d["ingress_log"])'
kill -9 $pid; wait $pid 2>/dev/null
# The restart cuts the torn tail and recovers what was durable.
$S serve --listen 127.0.0.1:18931 --data-dir $D 2>>/tmp/fulldisk.err & pid=$!
sleep 2
curl -s -XPOST -d 'from T select count() as n' localhost:18931/v1/apps/Full/query; echo
curl -s localhost:18931/v1/apps/Full | python3 -c 'import json,sys; d=json.load(sys.stdin); print("after restart: state:", d["state"], "log:", d["ingress_log"])'
kill $pid; wait $pid 2>/dev/null
grep -v "^$" /tmp/fulldisk.err | grep -iv "listening\|restored" | head -5
umount /tmp/smalldisk

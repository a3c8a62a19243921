#!/bin/bash
# idle_apps.sh [BIN] [N]: starts `sluice serve`, creates N idle live apps (a filter and a
# 1-minute time window each), and prints the CPU the server used over 10 s and its threads.
BIN=${1:-target/release/sluice}; N=${2:-100}; PORT=18282; D=$(mktemp -d)
$BIN serve --listen 127.0.0.1:$PORT --data-dir $D --max-apps $((N + 1)) 2>/dev/null & PID=$!
sleep 1
for i in $(seq 1 $N); do
  printf "@app:name('Idle$i')\ndefine stream S (a int, b double);\nfrom S[a > 1] select a, b insert into F;\nfrom S#window.time(1 min) select a, avg(b) as m group by a insert into W;\n" | curl -s -o /dev/null -X POST --data-binary @- localhost:$PORT/v1/apps
done
sleep 2
t0=$(awk '{print $14+$15}' /proc/$PID/stat); sleep 10; t1=$(awk '{print $14+$15}' /proc/$PID/stat)
echo "apps=$N threads=$(ls /proc/$PID/task | wc -l) cpu_seconds_in_10s=$(awk -v d=$((t1-t0)) -v h=$(getconf CLK_TCK) 'BEGIN{printf "%.2f", d/h}')"
kill $PID; wait $PID 2>/dev/null; rm -rf $D

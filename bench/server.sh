#!/bin/bash
# Measures the API endpoint as docs/benchmarks.md ("Server") reports it: builds the binary and the
# load generator, starts `gatehouse serve` on a fresh SQLite data directory, and runs the
# generator's scenarios against it, printing the server's CPU time beside each run.
# Run it on an idle machine: the generator shares the cores with the server.
#   bench/server.sh            (from the repository root)
set -u
cd "$(dirname "$0")/.."
data=$(mktemp -d) bin=$(mktemp -d)
go build -o "$bin/gatehouse" ./cmd/gatehouse && (cd bench && go build -o "$bin/loadgen" ./cmd/loadgen) || exit 1
"$bin/gatehouse" serve --data "$data" --listen 127.0.0.1:17620 >"$data/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data" "$bin"' EXIT
for _ in $(seq 50); do curl -sf http://127.0.0.1:17620/_gatehouse/health >/dev/null && break; sleep 0.1; done
tck=$(getconf CLK_TCK)
cpu() { awk '{print $14+$15}' /proc/$pid/stat; }
run() {
	echo "== $* | load average: $(cut -d' ' -f1-3 /proc/loadavg)"
	local a t0 b t1
	a=$(cpu) t0=$(date +%s.%N)
	"$bin/loadgen" -endpoint http://127.0.0.1:17620 -credentials "$data/credentials" "$@"
	b=$(cpu) t1=$(date +%s.%N)
	awk -v a="$a" -v b="$b" -v t="$tck" -v t0="$t0" -v t1="$t1" \
		'BEGIN { printf "   server CPU %.2f s over %.2f s wall (%.2f cores)\n", (b-a)/t, t1-t0, (b-a)/t/(t1-t0) }'
}
for _ in 1 2 3; do
	run -op getuser -c 16 -duration 10s
	run -op getuser -c 32 -duration 10s
	run -op getuser -c 16 -duration 10s -rate 7500
done
run -op assumerole -c 16 -duration 10s
run -op assumerole -c 16 -duration 10s
run -op create-delete -pairs 10000 -c 64
run -op create-delete -pairs 10000 -c 64

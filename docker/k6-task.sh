#!/bin/sh
# Entrypoint of the k6 task image: `k6 <args>` with its output under /tmp/k6 (the toolkit's arguments name that
# directory for the summary and the CSV samples), then every file found there printed to stdout between marker
# lines, base64 (gzipped first unless it already is). The manager reads a finished task's stdout through the
# service logs API from any node and rebuilds the files (toolkit/engine/swarm/generators-frames.ts). Exits with
# k6's status, which the last marker repeats so it survives in the log.
# The two paths are fixed in the image; the variables exist for the unit test that runs this script on a host.
out=${K6_TASK_OUT:-/tmp/k6}
config=${K6_TASK_CONFIG:-/tmp/k6-config.json}
mkdir -p "$out" || exit 70
# k6 reads its DNS overrides (the balancer's overlay address) only from a config file or the script.
if [ -n "${K6_CONFIG_JSON:-}" ]; then
  printf '%s\n' "$K6_CONFIG_JSON" >"$config" || exit 70
fi
# In the background so that SIGTERM (the job removed, or its deadline) reaches k6, which then stops gracefully and
# still writes its summary: as PID 1 this shell would otherwise ignore the signal until Swarm kills the task.
k6 "$@" >"$out/k6-stdout.txt" 2>"$out/k6.log" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null' TERM INT
wait "$pid"
code=$?
# A trapped signal interrupts `wait`; wait again for k6 itself.
while kill -0 "$pid" 2>/dev/null; do
  wait "$pid"
  code=$?
done
for f in summary.json timeseries.csv.gz k6-stdout.txt k6.log; do
  [ -f "$out/$f" ] || continue
  case "$f" in
    *.gz)
      echo "@@toolkit-file $f base64"
      base64 "$out/$f"
      ;;
    *)
      echo "@@toolkit-file $f gzip+base64"
      gzip -c "$out/$f" | base64
      ;;
  esac
  echo "@@toolkit-end $f"
done
echo "@@toolkit-exit $code"
exit "$code"

#!/usr/bin/env bash
# The README's main job (`npm run demo`): set up the machine, bring the stack up with 3 replicas, send a
# prediction, sweep 1..3 replicas under load, and print + write the scaling report under results/<run-id>/.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
toolkit() { node bin/toolkit.js "$@"; }

# Each replica gets a fraction of a core (DEMO_CPUS) so that on a small machine the replicas, not the host shared
# with k6 and nginx, saturate first and the sweep shows how throughput grows with replicas.
export TOOLKIT_CPUS="${DEMO_CPUS:-0.25}"
toolkit up --replicas 3
echo "== one prediction through the load balancer"
curl -sS -D - -H 'content-type: application/json' http://127.0.0.1:8000/predict \
  -d '{"instances":[{"island":"Biscoe","bill_length_mm":46.1,"bill_depth_mm":13.2,"flipper_length_mm":211,"body_mass_g":4500,"sex":"female"}]}'
echo
toolkit status
toolkit sweep --replicas "${DEMO_REPLICAS:-1,2,3}" --repeat "${DEMO_REPEAT:-3}" --duration "${DEMO_DURATION:-15s}" \
  --users "${DEMO_USERS:-32}" --slo 'p(95)<300'

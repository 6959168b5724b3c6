#!/usr/bin/env bash
# npm run chaos: kill -9 services and a dedicated Kafka broker while events stream; prove nothing is lost or doubled.
# npm run chaos -- --brokers 3: the same proof across kill -9 of the Kafka node that leads the inbox, in a cluster of three.
# npm run chaos -- --soak MINUTES: nothing killed; events stream while each service's resident memory is sampled.
source "$(dirname "$0")/lib.sh"
hermetic_env
ensure_node_modules
ensure_infra
build
if [[ " $* " == *" --brokers "* ]]; then
  step "Chaos: kill -9 the Kafka node leading the inbox partitions of a several-node cluster while events stream"
  exec node -r ./tools/runtime/register-aliases.js dist/tools/chaos/broker-failover.js "$@"
fi
if [[ " $* " == *" --soak "* ]]; then
  step "Soak: events stream while each service's resident memory is sampled"
elif [[ " $* " == *" --cycles "* || " $* " == *" --kill "* ]]; then
  step "Chaos in cycles: kill -9 each named component in turn while events stream"
else
  step "Chaos: kill -9 a region node, the relay, the gateway and the broker while events stream"
fi
exec node -r ./tools/runtime/register-aliases.js dist/tools/chaos/chaos.js "$@"

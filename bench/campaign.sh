#!/usr/bin/env bash
# Long fault-injection campaign: N random faults (node crashes, postmaster crashes, frozen primary
# nodes with the watchdog stand-in, primary cut off from ZooKeeper, a lost ZooKeeper server, a
# killed synchronous standby, switchovers under load) against a 3-node cluster of real processes
# with two workloads (numbered rows; money transfers), checking after every fault and at the end.
# Writes bench/results/campaign-MODE-TIME/report.md and timeline.svg.
#
#   bench/campaign.sh [N=100] [MODE=on|quorum|off] [SEED] [nowatchdog]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -B -DskipTests install
cpfile=$(mktemp)
trap 'rm -f "$cpfile"' EXIT
mvn -q -B -pl pgha-cli dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cpfile"
cp=$(cat "$cpfile")
java -Xmx256m -Dlogback.configurationFile=logback-test.xml -cp "pgha-cli/target/test-classes:pgha-cli/target/classes:$cp" \
  io.pgha.cli.faults.CampaignMain "$@"

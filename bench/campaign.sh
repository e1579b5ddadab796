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
. bench/lib.sh
bench_java io.pgha.cli.faults.CampaignMain -Xmx256m -Dlogback.configurationFile=logback-test.xml -- "$@"

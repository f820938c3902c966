#!/usr/bin/env bash
# Benchmarks (bench/README.md). Builds the bench module (Maven profile `bench`: JMH and TensorFlow Java 1.1.0,
# which downloads ~170 MB from Maven Central once), then runs one of:
#
#   scripts/bench.sh side-by-side [--only a,b,d_adam_16M,f_512] [--rounds R] [--round-seconds S]
#                                 [--warm-seconds W] [--tf-threads T] [--out FILE]
#                                     Descent vs TensorFlow Java, alternating, Markdown table on stdout
#   scripts/bench.sh jmh [JMH args]   JMH benchmarks of Descent, e.g. `jmh StepBenchmark -prof gc`
#   scripts/bench.sh smoke            a short run of both (CI runs this: it checks they run, not speed)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/jdk.sh
command -v mvn >/dev/null || { echo "descent: Maven (mvn) is needed: apt-get install maven" >&2; exit 2; }
mvn -B -q -ntp -P bench -pl bench -am install -Dmaven.test.skip=true >&2
cp="bench/target/classes:$(cat bench/target/classpath.txt)"
# TensorFlow logs at INFO to stderr; keep its warnings. Its JavaCPP loader needs native access.
export TF_CPP_MIN_LOG_LEVEL=1
jvm=(java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow
     -XX:+UseSerialGC -Ddescent.root="$PWD" -cp "$cp")
what="${1:-}"
[ $# -gt 0 ] && shift
case "$what" in
  side-by-side) exec "${jvm[@]}" descent.bench.SideBySide "$@" ;;
  jmh) exec "${jvm[@]}" org.openjdk.jmh.Main "$@" ;;
  profile) exec "${jvm[@]}" -Ddescent.profile=true descent.bench.Profile "$@" ;;
  smoke)
    "${jvm[@]}" descent.bench.SideBySide --smoke
    "${jvm[@]}" -Ddescent.profile=true descent.bench.Profile a --seconds 0.3
    exec "${jvm[@]}" org.openjdk.jmh.Main StepBenchmark -p key=a -f 1 -wi 1 -w 1 -i 1 -r 1 -prof gc ;;
  *) echo "usage: scripts/bench.sh side-by-side|jmh|profile|smoke [args] (see bench/README.md)" >&2; exit 2 ;;
esac

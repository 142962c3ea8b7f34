#!/usr/bin/env bash
# Builds tether and its benchmark suite, runs the suite, and writes the results:
#   jmh/results/<mode>.json            JMH (throughput single and batched, send, broadcast call, replay, acknowledged mode, TLS)
#   jmh/results/latency-<mode>.json    fixed-rate latency: raw socket, tether -> raw, tether -> tether, >= 3 runs each
#   jmh/results/scale.json             10,000 peers in one JVM
#   docs/benchmarks.md                 the section between the GENERATED markers
#   docs/benchmarks-throughput.svg     throughput against peers, tether and the baseline
#
# Usage: jmh/run.sh [quick|full] [extra JMH options, e.g. -p size=64]
#   quick: one fork, short iterations, 3 latency runs; about 9 minutes on 2 cores, builds included
#   full:  three forks, longer iterations, 5 longer latency runs; about 50 minutes on 2 cores (estimate)
# Needs only a JDK 21+ and Maven. Set BENCH_NOTE to put a remark at the top of the results.
set -euo pipefail
mode=${1:-quick}
shift || true
case "$mode" in
  quick|full) ;;
  *) echo "usage: jmh/run.sh [quick|full] [JMH options]" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."
started=$(date +%s)

java_major() { # prints the major version of the JDK at $1, or nothing
  local v
  v=$("$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -n1)
  [ -n "$v" ] && echo "${v%%.*}"
}

pick_jdk() {
  local candidate major
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/*; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/javac" ] || continue
    major=$(java_major "$candidate")
    if [ -n "$major" ] && [ "$major" -ge 21 ]; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

if ! JDK=$(pick_jdk); then
  echo "error: the benchmarks need a JDK 21 or newer, and none was found in \$JAVA_HOME or /usr/lib/jvm/*." >&2
  exit 1
fi
export JAVA_HOME="$JDK"
export PATH="$JAVA_HOME/bin:$PATH"
echo "== using JDK at $JAVA_HOME ($(java_major "$JAVA_HOME"))"

# The library goes into the local Maven repository under a version of this work tree's own, so that another
# work tree installing tether between our two builds cannot end up in our benchmarks jar.
bench_version=${TETHER_BENCH_VERSION:-0.0.0-bench-$(basename "$PWD")}
echo "== building tether and installing it into the local Maven repository as $bench_version"
mvn -B -q -DskipTests -Dmaven.javadoc.skip=true package
mvn -B -q org.apache.maven.plugins:maven-install-plugin:3.1.2:install-file -Dfile=target/tether-0.1.0-SNAPSHOT.jar \
  -DgroupId=dev.tether -DartifactId=tether -Dversion="$bench_version" -Dpackaging=jar -DgeneratePom=true
echo "== building the benchmarks"
# clean: the compiler does not notice a changed library, and a class compiled against the old one fails at run time
mvn -B -q -f jmh/pom.xml -Dtether.version="$bench_version" clean package

jar=jmh/target/benchmarks.jar
results=jmh/results
mkdir -p "$results"
java -cp "$jar" dev.tether.bench.Summary machine "$results/machine-$mode.json"

if [ "$mode" = quick ]; then
  jmh_options=(-f 1 -wi 2 -w 1s -i 2 -r 1s)
  latency_options=(--warmup 1 --duration 2 --runs 3)
else
  jmh_options=(-f 3 -wi 3 -w 2s -i 5 -r 2s)
  latency_options=(--warmup 2 --duration 8 --runs 5)
fi

echo "== JMH: every *Benchmark class, with -prof gc"
java -jar "$jar" 'dev\.tether\.bench\..*Benchmark' "${jmh_options[@]}" -prof gc \
  -rf json -rff "$results/$mode.json" "$@"

echo "== latency at fixed rates, tether against a raw socket"
# pre-touched heap, as in every @Fork: otherwise a run that allocates little pays first-touch page faults throughout
java -Xms1g -Xmx1g -XX:+AlwaysPreTouch -cp "$jar" dev.tether.bench.Latency "${latency_options[@]}" --out "$results/latency-$mode.json"

echo "== scale: 10,000 peers"
java -Xms2g -Xmx2g -cp "$jar" dev.tether.bench.Scale --peers 10000 --ports 10 --out "$results/scale.json" > /dev/null \
  || echo "scale run reported a failure: see $results/scale.json" >&2

echo "== summary"
java -cp "$jar" dev.tether.bench.Summary --mode "$mode" --results "$results" \
  --doc docs/benchmarks.md --svg docs/benchmarks-throughput.svg --note "${BENCH_NOTE:-}" --started "$started"
echo "== done in $(( $(date +%s) - started )) s"

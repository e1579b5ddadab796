# Shared by the bench/ scripts: builds pgha and runs a main class from pgha-cli's test tree with
# the test class path.
#   bench_java MAIN_CLASS [JVM_OPTIONS...] -- [ARGS...]
bench_java() {
  local main=$1
  shift
  local opts=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do opts+=("$1"); shift; done
  [ "${1:-}" = "--" ] && shift
  mvn -q -B -DskipTests install
  local cpfile
  cpfile=$(mktemp)
  mvn -q -B -pl pgha-cli dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cpfile"
  local cp
  cp=$(cat "$cpfile")
  rm -f "$cpfile"
  java "${opts[@]}" -cp "pgha-cli/target/test-classes:pgha-cli/target/classes:$cp" "$main" "$@"
}

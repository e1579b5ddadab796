#!/usr/bin/env bash
# Builds pgha's packages from pgha-cli/target/pgha.jar:
#   target/pgha_<debian version>_all.deb   Debian 12 package (dpkg-deb; no fakeroot or debhelper needed)
#   target/pgha-<version>.tar.gz           the same files as a relocatable tree (bin/pgha, share/...)
# The version is the project's (pom.xml), as the jar reports it; 0.1.0-SNAPSHOT becomes the Debian
# version 0.1.0~SNAPSHOT (sorts before 0.1.0).
#
# Usage: packaging/build.sh [--no-build]
#   The jar is built first (mvn -B -q -DskipTests package) when it is missing or older than a pom.xml
#   or a source file. --no-build uses the jar as it is (fails when there is none), as CI does after
#   mvn verify.
set -euo pipefail
repo="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
pkg="$repo/packaging"
jar="$repo/pgha-cli/target/pgha.jar"
out="$repo/target"

build=1
for a in "$@"; do
  case "$a" in
    --no-build) build="" ;;
    -h|--help) sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build.sh: unknown argument '$a' (see --help)" >&2; exit 2 ;;
  esac
done

stale() {
  [ ! -f "$jar" ] && return 0
  [ -n "$(find "$repo" -name pom.xml -not -path '*/target/*' -newer "$jar" -print -quit)" ] && return 0
  [ -n "$(find "$repo"/pgha-*/src/main -newer "$jar" -print -quit 2>/dev/null)" ] && return 0
  return 1
}
if stale; then
  if [ -z "$build" ]; then
    [ -f "$jar" ] || { echo "build.sh: $jar is missing (run mvn -B -DskipTests package, or drop --no-build)" >&2; exit 1; }
    echo "build.sh: note: $jar is older than the sources; packaging it as it is (--no-build)" >&2
  else
    echo "build.sh: building $jar (mvn -B -q -DskipTests package)..." >&2
    (cd "$repo" && mvn -B -q -DskipTests package)
  fi
fi

for tool in java dpkg-deb gzip tar; do
  command -v "$tool" >/dev/null || { echo "build.sh: $tool is needed" >&2; exit 1; }
done

# The version: the pom's, and the jar must say the same (else it was built from other sources).
pom_version=$(grep -m1 -A3 '<artifactId>pgha-parent</artifactId>' "$repo/pom.xml" \
  | sed -n 's:.*<version>\([^<]*\)</version>.*:\1:p' | head -n1)
[ -n "$pom_version" ] || { echo "build.sh: no <version> found in $repo/pom.xml" >&2; exit 1; }
jar_version=$(java -Xshare:auto -XX:TieredStopAtLevel=1 -jar "$jar" --version | sed -n '1s/^pgha //p')
if [ "$jar_version" != "$pom_version" ]; then
  echo "build.sh: $jar is version '$jar_version' but pom.xml says '$pom_version'; rebuild it" >&2
  exit 1
fi
version="$pom_version"
# Debian: '-' would start a revision; '~' sorts a pre-release (SNAPSHOT, rc1) before the release.
deb_version=$(printf '%s' "$version" | tr -- '-_' '~~')
case "$deb_version" in [0-9]*) ;; *) echo "build.sh: version '$version' does not start with a digit" >&2; exit 1 ;; esac

# Timestamps in the packages: the last commit's, for packages that do not change when nothing did.
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
  SOURCE_DATE_EPOCH=$(git -C "$repo" log -1 --format=%ct 2>/dev/null || date +%s)
fi
export SOURCE_DATE_EPOCH

work=$(mktemp -d "${TMPDIR:-/tmp}/pgha-package.XXXXXX")
trap 'rm -rf "$work"' EXIT
umask 022

# ---------------------------------------------------------------- the files, in a /usr-like tree
# Man pages and completion come from the jar itself: they describe exactly the commands packaged.
java -Xshare:auto -XX:TieredStopAtLevel=1 -jar "$jar" man --dir "$work/gen/man" >/dev/null
for m in "$work"/gen/man/*.1; do gzip -9n "$m"; done
java -Xshare:auto -XX:TieredStopAtLevel=1 -jar "$jar" completion bash >"$work/gen/pgha.bash"

# lay_out ROOT BIN SHARE SYSTEMD ETC: the files under ROOT, in the given directories
lay_out() {
  local root=$1 bin=$2 share=$3 systemd=$4 etc=$5
  install -d "$root$bin" "$root$share/pgha" "$root$share/man/man1" "$root$share/doc/pgha/examples" \
    "$root$share/bash-completion/completions" "$root$share/zsh/vendor-completions" "$root$systemd" "$root$etc"
  install -m 0755 "$pkg/pgha" "$root$bin/pgha"
  install -m 0644 "$jar" "$root$share/pgha/pgha.jar"
  install -m 0644 "$pkg/pgha.classlist" "$root$share/pgha/pgha.classlist"
  install -m 0644 "$work"/gen/man/*.1.gz "$root$share/man/man1/"
  install -m 0644 "$work/gen/pgha.bash" "$root$share/bash-completion/completions/pgha"
  install -m 0644 "$pkg/zsh/_pgha" "$root$share/zsh/vendor-completions/_pgha"
  install -m 0644 "$pkg"/systemd/*.service "$root$systemd/"
  install -m 0644 "$repo/docs/examples/node.yml" "$root$etc/node.yml.example"
  install -m 0644 "$repo/docs/examples/router.yml" "$root$etc/router.yml.example"
  install -m 0640 "$pkg/zookeeper.env" "$root$etc/zookeeper.env"
  install -m 0644 "$repo/README.md" "$pkg/debian/copyright" "$root$share/doc/pgha/"
  install -m 0644 "$repo"/docs/*.md "$repo"/docs/*.json "$root$share/doc/pgha/"
  install -m 0644 "$repo"/docs/examples/* "$pkg/zookeeper.env" "$root$share/doc/pgha/examples/"
}

# ---------------------------------------------------------------- .deb
deb="$work/deb"
lay_out "$deb" /usr/bin /usr/share /lib/systemd/system /etc/pgha
install -d -m 0755 "$deb/var/lib/pgha"
chmod 0750 "$deb/etc/pgha"
install -d "$deb/DEBIAN"
installed_size=$(du -sk --exclude=DEBIAN "$deb" | cut -f1)
sed -e "s/@DEB_VERSION@/$deb_version/" -e "s/@INSTALLED_SIZE@/$installed_size/" \
  "$pkg/debian/control.in" >"$deb/DEBIAN/control"
(cd "$deb" && find etc -type f | sort | sed 's:^:/:') >"$deb/DEBIAN/conffiles"
(cd "$deb" && find usr lib -type f | LC_ALL=C sort | xargs md5sum) >"$deb/DEBIAN/md5sums"
install -m 0755 "$pkg/debian/postinst" "$pkg/debian/prerm" "$pkg/debian/postrm" "$deb/DEBIAN/"
chmod 0644 "$deb/DEBIAN/control" "$deb/DEBIAN/conffiles" "$deb/DEBIAN/md5sums"
find "$deb" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
mkdir -p "$out"
deb_file="$out/pgha_${deb_version}_all.deb"
# gzip, not xz: the jar is a zip already (xz saves about 7% and takes a minute)
dpkg-deb --root-owner-group -Zgzip --build "$deb" "$deb_file" >/dev/null

# ---------------------------------------------------------------- tarball
name="pgha-$version"
tb="$work/tar/$name"
lay_out "$tb" /bin /share /share/pgha/systemd /share/pgha/examples
find "$tb" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
tar_file="$out/$name.tar.gz"
tar -C "$work/tar" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" \
  -cf - "$name" | gzip -6n >"$tar_file"

echo "$deb_file"
echo "$tar_file"

#!/usr/bin/env bash
# Fetches Trino (server core + the Hive connector plugin) from Maven Central, checks their SHA-256,
# and unpacks a ready-to-run server under $CATCHMENT_CACHE (default ~/.cache/catchment), where CI
# reruns find it again. The tests' Trino (test/helpers/trino.ts) runs it with a Hive catalog over
# the test lakes. Idempotent: downloads and unpacks only what is missing. Prints the server's path.
set -euo pipefail
VERSION=476
CACHE="${CATCHMENT_CACHE:-$HOME/.cache/catchment}"
DL="$CACHE/downloads"
SERVER="$CACHE/trino-server-$VERSION"
MAVEN="${MAVEN_CENTRAL:-https://repo.maven.apache.org/maven2}"
# Pinned: a changed artefact fails the fetch instead of running unknown code.
declare -A SHA256=(
  [trino-server-core-$VERSION.tar.gz]=0f388f9967c177ae70a47c099082fc95387f0c3cb96d8000d1d41fc3a5223158
  [trino-hive-$VERSION.zip]=611bacdb07d9f3cf7b9d47f97ecc76fa2e7ff8bfe8a9728c3d06adc1bfb8662e
)
declare -A URL=(
  [trino-server-core-$VERSION.tar.gz]="$MAVEN/io/trino/trino-server-core/$VERSION/trino-server-core-$VERSION.tar.gz"
  [trino-hive-$VERSION.zip]="$MAVEN/io/trino/trino-hive/$VERSION/trino-hive-$VERSION.zip"
)
mkdir -p "$DL"
for f in "${!URL[@]}"; do
  if [ ! -f "$DL/$f" ] || ! echo "${SHA256[$f]}  $DL/$f" | sha256sum -c --quiet - 2>/dev/null; then
    echo "fetching $f" >&2
    curl -fsSL --retry 3 -o "$DL/$f.part" "${URL[$f]}"
    echo "${SHA256[$f]}  $DL/$f.part" | sha256sum -c --quiet - || { echo "checksum mismatch for $f" >&2; rm -f "$DL/$f.part"; exit 1; }
    mv "$DL/$f.part" "$DL/$f"
  fi
done
if [ ! -f "$SERVER/.complete" ]; then
  rm -rf "$SERVER" "$SERVER.tmp"
  mkdir -p "$SERVER.tmp"
  tar xzf "$DL/trino-server-core-$VERSION.tar.gz" -C "$SERVER.tmp" --strip-components=1
  mkdir -p "$SERVER.tmp/plugin"
  unzip -q "$DL/trino-hive-$VERSION.zip" -d "$SERVER.tmp/plugin"
  mv "$SERVER.tmp/plugin/trino-hive-$VERSION" "$SERVER.tmp/plugin/hive"
  touch "$SERVER.tmp/.complete"
  mv "$SERVER.tmp" "$SERVER"
fi
echo "$SERVER"

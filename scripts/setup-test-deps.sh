#!/usr/bin/env bash
# Installs what `npm test` needs on a fresh Debian machine of the project's kind (run as root, or
# with sudo for the apt part), and fetches Trino from Maven Central into ~/.cache/catchment. Idempotent: installs only what is missing. .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

SUDO=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo"

need_apt=()
# poppler-utils: pdftotext/pdfinfo/pdftoppm read the PDFs back; qpdf checks their structure
command -v pdftotext >/dev/null 2>&1 || need_apt+=(poppler-utils)
command -v qpdf >/dev/null 2>&1 || need_apt+=(qpdf)
# Debian's Chromium drives the portal's browser tests (playwright-core, executablePath /usr/bin/chromium)
[ -x /usr/bin/chromium ] || need_apt+=(chromium fonts-liberation)
if [ ${#need_apt[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# Python: moto_server for the AWS client tests, scipy/numpy as the statistics oracle, cfn-lint on
# the synthesized templates.
py_missing=()
# scipy 1.9 or later: the disclosure attack uses scipy.optimize.milp
python3 -c 'import numpy; from scipy.optimize import milp' 2>/dev/null || py_missing+=(numpy 'scipy>=1.9')
command -v moto_server >/dev/null 2>&1 || py_missing+=('moto[server]')
command -v cfn-lint >/dev/null 2>&1 || py_missing+=(cfn-lint)
if [ ${#py_missing[@]} -gt 0 ]; then
  python3 -m pip install -q --disable-pip-version-check "${py_missing[@]}"
fi

# Trino (Athena engine v3's engine) for the SQL equivalence tests: server + Hive plugin from Maven
# Central, checksummed and cached; it runs on a Java 24+ (Temurin), found by test/helpers/trino.ts.
command -v unzip >/dev/null 2>&1 || { $SUDO apt-get update -qq; $SUDO apt-get install -y -qq --no-install-recommends unzip >/dev/null; }
if ! ls -d /usr/lib/jvm/temurin-2[4-9]* >/dev/null 2>&1 && [ -z "${TRINO_JAVA_HOME:-}" ]; then
  echo "Trino needs a Java 24+ JDK (Temurin) under /usr/lib/jvm, or TRINO_JAVA_HOME set" >&2
  exit 1
fi
scripts/fetch-trino.sh >/dev/null

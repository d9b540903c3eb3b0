#!/usr/bin/env bash
# Installs what `npm test` needs on a fresh Debian machine of the project's kind (run as root, or
# with sudo for the apt part). Idempotent: installs only what is missing. .ci/run calls it.
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
python3 -c 'import numpy, scipy' 2>/dev/null || py_missing+=(numpy scipy)
command -v moto_server >/dev/null 2>&1 || py_missing+=('moto[server]')
command -v cfn-lint >/dev/null 2>&1 || py_missing+=(cfn-lint)
if [ ${#py_missing[@]} -gt 0 ]; then
  python3 -m pip install -q --disable-pip-version-check "${py_missing[@]}"
fi

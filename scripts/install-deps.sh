#!/usr/bin/env bash
# Installs the Debian 12 packages dtcost needs to build, test and benchmark,
# only when something is missing (idempotent; needs root or sudo to install).
set -euo pipefail

pkgs=(
  build-essential cmake pkg-config git
  libcurl4-openssl-dev libmicrohttpd-dev libsqlite3-dev libpq-dev postgresql-15
  libzip-dev zlib1g-dev libssl-dev libjansson-dev libyajl-dev libjsmn-dev libdeflate-dev libminizip-dev libinih-dev libcmocka-dev
  libutf8proc-dev
  python3 curl jq unzip sqlite3
  # the layout check (scripts/check-format.sh); clang and its libFuzzer
  # runtime for the bounded fuzz runs of scripts/test.sh
  clang-format clang libclang-rt-14-dev
  # packaging and its test: dpkg-shlibdeps for the .deb's Depends, man to
  # render the generated pages, zsh to load the generated completion
  dpkg-dev man-db zsh
)
# The metrics test lints /metrics and the alert rules with promtool, which
# Debian ships in the prometheus package (on a systemd machine the package
# also enables the Prometheus server; DTCOST_WITH_PROMTOOL=0 leaves it out).
if [ "${DTCOST_WITH_PROMTOOL:-1}" = 1 ]; then
  pkgs+=(prometheus)
fi
# The OpenAPI contract test runs Prism, an npm package. Some machines carry a
# NodeSource nodejs that bundles npm and conflicts with Debian's npm package.
if [ "${DTCOST_WITH_PRISM:-1}" = 1 ] && ! command -v npm >/dev/null 2>&1; then
  pkgs+=(nodejs npm)
fi
# The HTML report test renders the page in headless Chromium; only the test
# suite asks for it (scripts/test.sh), the demo does not need a browser.
if [ "${DTCOST_WITH_CHROMIUM:-0}" = 1 ]; then
  pkgs+=(chromium fonts-dejavu-core fonts-wqy-zenhei)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

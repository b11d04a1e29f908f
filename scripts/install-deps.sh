#!/usr/bin/env bash
# Installs the Debian (bookworm) packages Prism needs. Idempotent: skips what
# is already installed. Needs root or sudo when something is missing.
set -euo pipefail

packages=(
  cmake ninja-build g++ make pkg-config
  qt6-base-dev qt6-charts-dev qt6-declarative-dev
  nlohmann-json3-dev libspdlog-dev libcurl4-openssl-dev libsqlite3-dev libssl-dev libcli11-dev
  libgtest-dev
  libpq-dev postgresql-15  # PostgreSQL: libpq to build; the server for the throwaway test cluster (tests/pg.cmake)
  libcpp-httplib-dev  # the team server's REST API (prism serve --api)
  xvfb xauth fonts-dejavu-core
  chromium  # headless checks of the HTML run report (tests/ui/test_report_browser.cpp)
)
if [ "${PRISM_EXTRA_PACKAGES:-}" != "" ]; then
  read -r -a extra <<<"$PRISM_EXTRA_PACKAGES"
  packages+=("${extra[@]}")
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y --no-install-recommends "${missing[@]}"

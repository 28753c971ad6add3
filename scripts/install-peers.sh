#!/usr/bin/env bash
# Installs what the suites beyond the fast one run against, from Debian's packages: PostgreSQL,
# Tempest, the openstack/glance clients and openstacksdk, Glance 25.1 (the parity oracle) and
# Keystone 22. Idempotent; needs root (or sudo) and apt.
set -euo pipefail
packages=(postgresql tempest python3-openstackclient python3-glanceclient python3-openstacksdk glance-api python3-keystone)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-peers: all present"
  exit 0
fi
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
echo "install-peers: installing ${missing[*]}"
$SUDO apt-get update -qq
# Debian's maintainer scripts must not start system services (no init here, and we run our own).
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-peers: done"

#!/usr/bin/env bash
# Installs what the test suite needs and this machine lacks. Debian packages go through
# apt-get when run as root; otherwise the missing ones are named and the tests that need
# them fail saying so.
set -euo pipefail
need=()
command -v gcc >/dev/null || need+=(gcc)
# The AWS CLI drives the tutorial script; the image's Python usually has v1, Debian's
# awscli package adds v2 at /usr/bin/aws.
command -v aws >/dev/null || need+=(awscli)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing: ${need[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "missing packages: ${need[*]} (install them, or run as root)" >&2
  fi
fi

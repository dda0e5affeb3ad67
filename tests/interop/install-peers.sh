#!/usr/bin/env bash
# Installs the real SMTP peers of the interop tests (tests/SmtpCodec.IntegrationTests/Interop): Postfix (smtpd and
# smtp-sink), swaks, openssl, aiosmtpd for Debian's /usr/bin/python3, and the npm package smtp-server.
# The single place that installs them; tests/run.sh calls it before the build. Idempotent: when every
# peer is present it only checks and returns. Needs root (apt-get) for the Debian packages.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

debs=()
{ [ -x /usr/sbin/postfix ] && [ -x /usr/sbin/smtp-sink ] && [ -x /usr/sbin/postcat ]; } || debs+=(postfix)
command -v swaks >/dev/null 2>&1 || debs+=(swaks)
# swaks speaks TLS through these Perl modules, which are only "recommended" by its package.
perl -MIO::Socket::SSL -MNet::SSLeay -e 1 >/dev/null 2>&1 || debs+=(libio-socket-ssl-perl libnet-ssleay-perl)
command -v openssl >/dev/null 2>&1 || debs+=(openssl)
# The Debian interpreter, not whatever python3 comes first on PATH: aiosmtpd is packaged for it alone.
/usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1 || debs+=(python3-aiosmtpd)

if [ "${#debs[@]}" -gt 0 ]; then
  echo "install-peers: installing Debian packages: ${debs[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-peers: root is needed to run: apt-get install ${debs[*]}" >&2
    exit 1
  fi

  # Installing postfix must not leave a system MTA on port 25: deny every service start meanwhile.
  policy=/usr/sbin/policy-rc.d
  made_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod 755 "$policy"
    made_policy=1
  fi
  cleanup() { if [ "$made_policy" -eq 1 ]; then rm -f "$policy"; fi; }
  trap cleanup EXIT

  # Answer postfix's question up front; the tests run private instances with their own configuration.
  echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${debs[@]}"

  # Belt and braces: stop a system Postfix if anything started one anyway.
  if [ -x /usr/sbin/postfix ] && /usr/sbin/postfix status >/dev/null 2>&1; then
    /usr/sbin/postfix stop || true
  fi
  cleanup
  trap - EXIT
fi

# Node's smtp-server, pinned by the committed package-lock.json, into tests/interop/node_modules.
if [ ! -f "$here/node_modules/smtp-server/package.json" ]; then
  command -v npm >/dev/null 2>&1 || { echo "install-peers: npm is missing (Node.js is needed for smtp-server)" >&2; exit 1; }
  echo "install-peers: npm ci in tests/interop"
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi

# Check that every peer now answers, so that a broken install fails here with a clear line.
for binary in /usr/sbin/postfix /usr/sbin/smtp-sink /usr/sbin/postcat /usr/lib/postfix/sbin/master; do
  [ -x "$binary" ] || { echo "install-peers: $binary is missing after the install" >&2; exit 1; }
done
command -v swaks >/dev/null && command -v openssl >/dev/null && command -v node >/dev/null
/usr/bin/python3 -c 'import aiosmtpd'
echo "install-peers: peers ready"

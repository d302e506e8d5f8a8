#!/usr/bin/env bash
# Run a command with a real OS keychain: a private D-Bus session with GNOME Keyring's
# Secret Service, unlocked, its keyrings in a throwaway folder. This is how the tests
# reach the same keychain API (`@napi-rs/keyring`) a Linux desktop session offers.
#
#   scripts/with-keychain.sh vitest run
#
# Without dbus-run-session or gnome-keyring-daemon the command runs as is and the
# keychain tests skip with a reason — except under CI, where that is an error.
set -euo pipefail

if [[ -n "${KEYPORT_KEYCHAIN_READY:-}" ]]; then exec "$@"; fi

if ! command -v dbus-run-session >/dev/null || ! command -v gnome-keyring-daemon >/dev/null; then
  if [[ -n "${CI:-}" ]]; then
    echo "with-keychain: dbus-run-session and gnome-keyring-daemon are required under CI (apt-get install dbus gnome-keyring)" >&2
    exit 1
  fi
  echo "with-keychain: no dbus-run-session or gnome-keyring-daemon here; keychain tests will skip" >&2
  exec "$@"
fi

KEYPORT_KEYRING_HOME="$(mktemp -d)"
export KEYPORT_KEYRING_HOME
trap 'rm -rf "$KEYPORT_KEYRING_HOME"' EXIT

# The session bus starts the Secret Service on demand. Its stock service file starts a
# *locked* keyring, which then wants a password prompt no test can answer; ours starts it
# unlocked with the test password. It is listed before the standard directories, so it
# wins. Should the daemon ever exit mid-run (gnome-keyring has crashed under load here),
# the next keychain call starts an unlocked one again on the same keyring files instead of
# failing every test after it.
mkdir -p "$KEYPORT_KEYRING_HOME/services"
cat >"$KEYPORT_KEYRING_HOME/unlocked-keyring" <<SCRIPT
#!/bin/sh
export XDG_DATA_HOME="$KEYPORT_KEYRING_HOME"
printf "keyport-test-keyring\\n" | exec gnome-keyring-daemon --foreground --unlock --components=secrets
SCRIPT
chmod +x "$KEYPORT_KEYRING_HOME/unlocked-keyring"
cat >"$KEYPORT_KEYRING_HOME/services/org.freedesktop.secrets.service" <<SERVICE
[D-BUS Service]
Name=org.freedesktop.secrets
Exec=$KEYPORT_KEYRING_HOME/unlocked-keyring
SERVICE
cat >"$KEYPORT_KEYRING_HOME/session.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <servicedir>$KEYPORT_KEYRING_HOME/services</servicedir>
  <include>/usr/share/dbus-1/session.conf</include>
</busconfig>
CONF

# dbus-run-session ends the daemons when the command ends.
dbus-run-session --config-file="$KEYPORT_KEYRING_HOME/session.conf" -- bash -c '
  set -euo pipefail
  export XDG_DATA_HOME="$KEYPORT_KEYRING_HOME"
  eval "$(printf "keyport-test-keyring\n" | gnome-keyring-daemon --unlock --components=secrets 2>/dev/null)"
  export KEYPORT_KEYCHAIN_READY=1
  exec "$@"
' with-keychain "$@" 2> >(grep -v "Failed to set fd limit" >&2)

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

# dbus-run-session ends the daemons when the command ends.
dbus-run-session -- bash -c '
  set -euo pipefail
  export XDG_DATA_HOME="$KEYPORT_KEYRING_HOME"
  eval "$(printf "keyport-test-keyring\n" | gnome-keyring-daemon --unlock --components=secrets 2>/dev/null)"
  export KEYPORT_KEYCHAIN_READY=1
  exec "$@"
' with-keychain "$@" 2> >(grep -v "Failed to set fd limit" >&2)

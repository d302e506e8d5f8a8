#!/bin/sh
# The Keyport provider, on the Node runtime this package ships (options: keyport-provider --help).
exec /opt/keyport-provider/bin/node /opt/keyport-provider/lib/provider.mjs "$@"

#!/bin/sh
# The Keyport app (`keyport open`) and command line, on the Node runtime this package ships.
exec /opt/keyport/bin/node /opt/keyport/lib/keyport.mjs "$@"

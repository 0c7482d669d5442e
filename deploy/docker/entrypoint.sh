#!/bin/sh
# The image's entrypoint: `croupier` with the given arguments (`serve` by default).
#
# PGPASSWORD_FILE names a file holding the database password (a compose or Kubernetes secret):
# it is read into libpq's PGPASSWORD, which psycopg uses when CROUPIER_DATABASE_URL names no
# password. The URL then stays plain configuration and the password is written nowhere else.
set -eu
if [ -n "${PGPASSWORD_FILE:-}" ]; then
    PGPASSWORD="$(cat "$PGPASSWORD_FILE")"
    export PGPASSWORD
    unset PGPASSWORD_FILE
fi
exec croupier "$@"

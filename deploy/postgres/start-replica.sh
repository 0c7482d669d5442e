#!/bin/bash
# The streaming replica's entrypoint. At first start (an empty data directory) it copies the
# primary with pg_basebackup -R, which writes standby.signal and primary_conninfo; then, every
# time, it hands over to the official image's entrypoint, which finds a data directory and starts.
set -euo pipefail
: "${PRIMARY_HOST:?PRIMARY_HOST names the primary}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    install -d -o postgres -g postgres -m 0700 "$PGDATA"
    until pg_isready --quiet --host="$PRIMARY_HOST" --username=replicator --dbname=postgres; do
        sleep 1
    done
    PGPASSWORD="$(cat /run/secrets/replication_password)" \
        gosu postgres pg_basebackup --host="$PRIMARY_HOST" --username=replicator \
        --pgdata="$PGDATA" --wal-method=stream --slot=replica_1 --write-recovery-conf --checkpoint=fast
fi
exec docker-entrypoint.sh "$@"

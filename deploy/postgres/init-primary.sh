#!/bin/bash
# Runs once, when the official postgres image initialises the primary's data directory
# (/docker-entrypoint-initdb.d): the role and slot the streaming replica copies and follows.
set -euo pipefail
replication_password="$(cat /run/secrets/replication_password)"
psql --no-psqlrc -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    --set=password="$replication_password" <<'SQL'
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'password';
-- A physical slot: the primary keeps the WAL the replica has not received yet.
SELECT pg_create_physical_replication_slot('replica_1');
SQL
# "all" in pg_hba.conf does not cover replication connections: name them.
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"

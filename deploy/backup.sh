#!/usr/bin/env bash
# Back up minyi: the PostgreSQL database, the media folder and this machine's spool.
#
#   sudo /opt/minyi/deploy/backup.sh [--spool-only] [BACKUP_ROOT]
#
# BACKUP_ROOT defaults to /var/backups/minyi. Each backup is a folder of its own,
# BACKUP_ROOT/minyi-<UTC time>-<host>/, readable by root only:
#   database.dump    pg_dump's custom format (pg_restore reads it), one consistent snapshot
#   database.counts  rows per table in that same snapshot: the restore drill checks against it
#   media.tar        media.dir (residents' photos, voice notes, videos)
#   spool.tar        spool.dir: deliveries this machine kept while the database was unreachable
#   MANIFEST         what, when, where from; SHA256SUMS: the files' checksums
# The folder appears under its final name only once everything in it is written. The newest
# $MINYI_BACKUP_KEEP (default 14) backups of this host are kept; older ones are deleted.
#
# --spool-only: a second web server's backup (the database and the shared media folder are backed
# up once, by the first).
#
# Settings come from /etc/minyi/minyi.env (or $MINYI_ENV_FILE) and MINYI_CONFIG, as for the
# services. Check a backup with `deploy/restore.sh --drill FOLDER` (deploy/README.md).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

spool_only=false
if [ "${1:-}" = "--spool-only" ]; then
  spool_only=true
  shift
fi
backup_root=${1:-/var/backups/minyi}
keep=${MINYI_BACKUP_KEEP:-14}
[[ "$keep" =~ ^[1-9][0-9]*$ ]] || die "MINYI_BACKUP_KEEP must be a whole number of at least 1, got $keep"

umask 077
load_settings
host=$(hostname -s)
name="minyi-$(date -u +%Y%m%dT%H%M%SZ)-$host"
mkdir -p "$backup_root"
work="$backup_root/.$name.partial"
rm -rf "$work"
mkdir "$work"
trap 'rm -rf "$work"' EXIT
started=$(date +%s)

if ! $spool_only; then
  # The database first, then the media: a photo filed after the snapshot may be in media.tar
  # without its row, never a row without its photo (files are only ever added).
  "$PY" - "$(conninfo "$PG_DBNAME")" "$work" <<'PY'
"""pg_dump of one snapshot, and the rows per table counted in that same snapshot."""
import subprocess
import sys

import psycopg
from psycopg import sql

conninfo, work = sys.argv[1:]
with psycopg.connect(conninfo) as conn:
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    conn.read_only = True
    with conn.transaction():
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        tables = [row[0] for row in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
        with open(f"{work}/database.counts", "w") as out:
            for table in tables:
                rows = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()[0]
                out.write(f"{table}\t{rows}\n")
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] \
            if "alembic_version" in tables else "none"
        with open(f"{work}/database.revision", "w") as out:
            out.write(revision + "\n")
        # The snapshot lives as long as this transaction: pg_dump reads exactly what was counted.
        subprocess.run(["pg_dump", "--format=custom", f"--snapshot={snapshot}",
                        f"--file={work}/database.dump", conninfo], check=True)
PY
  tar_folder() {  # tar_folder FOLDER ARCHIVE: the folder's content, paths relative to it
    if [ -d "$1" ]; then
      # GNU tar exits with 1 when a file changed while it was read (a photo being written): the
      # archive is still whole; 2 is a real failure.
      tar --create --file "$2" --directory "$1" . || [ $? -eq 1 ]
    else
      tar --create --file "$2" --files-from /dev/null
    fi
  }
  tar_folder "$MEDIA_DIR" "$work/media.tar"
fi
if [ -d "$SPOOL_DIR" ]; then
  tar --create --file "$work/spool.tar" --directory "$SPOOL_DIR" .
else
  tar --create --file "$work/spool.tar" --files-from /dev/null
fi

{
  echo "backup: $name"
  echo "created: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "host: $host"
  if ! $spool_only; then
    echo "database: $PG_DBNAME ($PG_BASE)"
    echo "alembic revision: $(cat "$work/database.revision")"
    echo "tables: $(wc -l <"$work/database.counts")"
    echo "rows: $(awk -F'\t' '{ sum += $2 } END { print sum + 0 }' "$work/database.counts")"
    echo "media: $MEDIA_DIR, $(tar --list --file "$work/media.tar" | grep -vc '/$' || true) files"
  fi
  echo "spool: $SPOOL_DIR, $(tar --list --file "$work/spool.tar" | grep -vc '/$' || true) files"
} >"$work/MANIFEST"
(cd "$work" && sha256sum -- * >SHA256SUMS)
sync --file-system "$work/SHA256SUMS"
mv "$work" "$backup_root/$name"
trap - EXIT

# Keep the newest $keep of this host's backups.
find "$backup_root" -mindepth 1 -maxdepth 1 -type d -name "minyi-*-$host" -printf '%f\n' | sort -r |
  tail -n +"$((keep + 1))" | while read -r old; do
    rm -rf -- "${backup_root:?}/$old"
  done

echo "backup written in $(($(date +%s) - started)) s: $backup_root/$name"
sed 's/^/  /' "$backup_root/$name/MANIFEST"

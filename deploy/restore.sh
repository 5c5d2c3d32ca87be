#!/usr/bin/env bash
# Restore a backup of deploy/backup.sh, or rehearse it.
#
#   sudo /opt/minyi/deploy/restore.sh --drill BACKUP_FOLDER
#       The restore drill: checks the checksums, restores the database into a new scratch
#       database on the configured server, checks every table's row count against the backup's,
#       brings the copy to the code's schema (`minyi db upgrade`), unpacks media and spool into a
#       scratch folder and counts their files, then drops the scratch database and folder. Nothing
#       in use is touched. Creating and dropping the scratch database takes the right to create
#       databases: either minyi's database user has it (ALTER ROLE minyi CREATEDB), or, with
#       PostgreSQL on this machine, --as-postgres does those two steps as the local postgres user.
#
#   sudo /opt/minyi/deploy/restore.sh BACKUP_FOLDER
#       The real thing, after a loss: into the configured database, which must exist and be empty
#       (no tables), and into media.dir and spool.dir, which must be empty or missing. Stop
#       minyi-web and minyi-scheduler first; start them after. Then `minyi db upgrade` brings the
#       schema to this code's.
#
# Settings come from /etc/minyi/minyi.env (or $MINYI_ENV_FILE) and MINYI_CONFIG, as for the services.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage="usage: restore.sh [--drill [--as-postgres]] BACKUP_FOLDER"
drill=false
as_postgres=false
while [ $# -gt 1 ]; do
  case "$1" in
    --drill) drill=true ;;
    --as-postgres) as_postgres=true ;;
    *) die "unknown option $1 ($usage)" ;;
  esac
  shift
done
[ $# -eq 1 ] || die "$usage"
backup=$(cd "$1" && pwd) || die "no backup folder $1"
[ -f "$backup/MANIFEST" ] || die "$backup is not a backup of deploy/backup.sh (no MANIFEST)"

umask 077
load_settings
started=$(date +%s)

echo "== checksums"
(cd "$backup" && sha256sum --check --quiet SHA256SUMS) || die "checksums do not match: the backup is damaged"
has_database=false
[ -f "$backup/database.dump" ] && has_database=true

restore_database() {  # restore_database NAME: the dump into database NAME, rows checked
  echo "== database: pg_restore into $1"
  pg_restore --no-owner --no-privileges --exit-on-error --dbname "$(conninfo "$1")" "$backup/database.dump"
  echo "== database: rows per table against the backup's counts"
  if ! diff <(row_counts "$1") "$backup/database.counts"; then
    die "the restored database's rows differ from the backup's (lines: < restored, > backup)"
  fi
  echo "   $(wc -l <"$backup/database.counts") tables, $(awk -F'\t' '{ s += $2 } END { print s + 0 }' \
    "$backup/database.counts") rows, as in the backup"
  echo "== database: schema brought to this code's (minyi db upgrade)"
  local upgraded
  upgraded=$(MINYI_DATABASE_URL=$(database_url "$1") "$MINYI_HOME/.venv/bin/minyi" db upgrade 2>&1) ||
    die "minyi db upgrade failed on the restored database:"$'\n'"$upgraded"
}

unpack() {  # unpack ARCHIVE FOLDER LABEL: the archive into the folder, files counted
  local expected
  expected=$(tar --list --file "$1" | grep -vc '/$' || true)
  mkdir -p "$2"
  tar --extract --file "$1" --directory "$2"
  [ "$(file_count "$2")" -eq "$expected" ] || die "$3: $(file_count "$2") files unpacked, the archive lists $expected"
  echo "== $3: $expected files unpacked into $2"
}

if $drill; then
  scratch="${PG_DBNAME}_drill_$(date -u +%Y%m%d%H%M%S)_$$"
  folder=$(mktemp -d --tmpdir minyi-drill.XXXXXX)
  admin=(psql -X -q -v ON_ERROR_STOP=1 -d "$(conninfo "$PG_DBNAME")")
  if $as_postgres; then
    admin=(runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -d postgres)
  fi
  # shellcheck disable=SC2317  # run by the trap
  cleanup() {
    "${admin[@]}" -c "DROP DATABASE IF EXISTS \"$scratch\" WITH (FORCE)" || echo "could not drop $scratch: drop it by hand" >&2
    rm -rf -- "$folder"
  }
  trap cleanup EXIT
  if $has_database; then
    "${admin[@]}" -c "CREATE DATABASE \"$scratch\" OWNER \"$(psql -X -At -d "$(conninfo "$PG_DBNAME")" -c 'SELECT current_user')\""
    restore_database "$scratch"
  fi
  [ -f "$backup/media.tar" ] && unpack "$backup/media.tar" "$folder/media" media
  unpack "$backup/spool.tar" "$folder/spool" spool
  echo "restore drill passed in $(($(date +%s) - started)) s: $backup"
  echo "(the scratch database $scratch and folder $folder are removed now)"
  exit 0
fi

echo "== checking that nothing would be overwritten"
if $has_database; then
  tables=$(psql -X -At -v ON_ERROR_STOP=1 -d "$(conninfo "$PG_DBNAME")" \
    -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
  [ "$tables" -eq 0 ] || die "database $PG_DBNAME has $tables tables: restore into a new, empty database"
fi
for folder in "$MEDIA_DIR" "$SPOOL_DIR"; do
  if [ -d "$folder" ] && [ -n "$(ls -A "$folder")" ]; then
    die "$folder is not empty: move it away first"
  fi
done
if command -v systemctl >/dev/null; then
  for unit in minyi-web minyi-scheduler; do
    ! systemctl is-active --quiet "$unit" 2>/dev/null || die "$unit is running: systemctl stop minyi-web minyi-scheduler first"
  done
fi

$has_database && restore_database "$PG_DBNAME"
[ -f "$backup/media.tar" ] && unpack "$backup/media.tar" "$MEDIA_DIR" media
unpack "$backup/spool.tar" "$SPOOL_DIR" spool
if id minyi >/dev/null 2>&1; then
  chown -R minyi:minyi "$MEDIA_DIR" "$SPOOL_DIR"
fi
echo "restored in $(($(date +%s) - started)) s from $backup"
echo "now: systemctl start minyi-web minyi-scheduler"

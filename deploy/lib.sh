# shellcheck shell=bash
# Sourced by deploy/backup.sh and deploy/restore.sh: minyi's settings as its services see them.
#
# load_settings reads /etc/minyi/minyi.env (or $MINYI_ENV_FILE) when it exists, then asks minyi
# itself (bot.config.load_settings: defaults < MINYI_CONFIG < MINYI_*), so the scripts never
# disagree with the app about where things are. It sets:
#   PG_BASE      libpq connection keywords without the database and the password (safe to show)
#   PG_DBNAME    the database's name
#   PGPASSWORD   exported, so that no password appears on a command line (ps shows those)
#   MEDIA_DIR    media.dir, absolute
#   SPOOL_DIR    spool.dir, absolute (this machine's)
#   PY           the project's Python; MINYI_HOME the project's folder

MINYI_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY="$MINYI_HOME/.venv/bin/python"

die() {
  echo "$(basename "$0"): $*" >&2
  exit 1
}

load_settings() {
  local env_file=${MINYI_ENV_FILE:-/etc/minyi/minyi.env} assignments
  if [ -f "$env_file" ]; then
    set -a
    # shellcheck source=/dev/null
    . "$env_file"
    set +a
  fi
  cd "$MINYI_HOME" || die "cannot enter $MINYI_HOME"  # relative paths in the settings are relative to it, as for the services
  assignments=$("$PY" - <<'PY'
import shlex
import sys
from pathlib import Path

from psycopg.conninfo import make_conninfo
from sqlalchemy.engine import make_url

from bot.config import ConfigError, load_settings

try:
    settings = load_settings()
except ConfigError as error:
    sys.exit(str(error))
url = make_url(settings.database_url)
if url.get_backend_name() != "postgresql":
    sys.exit(f"database_url is {url.get_backend_name()}: these scripts back up PostgreSQL "
             "(an embedded SQLite file is copied with `sqlite3 FILE '.backup COPY'`)")
keywords = {"host": url.host, "port": url.port, "user": url.username, **url.query}
base = make_conninfo(**{key: value for key, value in keywords.items() if value not in (None, "")})
for name, value in (("PG_BASE", base), ("PG_DBNAME", url.database or ""),
                    ("PGPASSWORD", url.password or ""),
                    ("MEDIA_DIR", str(Path(settings.media_dir).resolve())),
                    ("SPOOL_DIR", str(Path(settings.spool_dir).resolve()))):
    print(f"{name}={shlex.quote(value)}")
PY
  ) || die "cannot read minyi's settings"
  eval "$assignments"
  export PGPASSWORD
  [ -n "$PG_DBNAME" ] || die "database_url names no database"
}

# The libpq connection string for database $1 of the configured server.
conninfo() {
  echo "$PG_BASE dbname=$1"
}

# The SQLAlchemy URL for database $1 of the configured server (for `minyi`), password included:
# pass it in the environment only.
database_url() {
  "$PY" - "$1" <<'PY'
import sys

from bot.config import load_settings

from sqlalchemy.engine import make_url

print(make_url(load_settings().database_url).set(database=sys.argv[1]).render_as_string(hide_password=False))
PY
}

# Rows per table of database $1, one "table<TAB>rows" line each, sorted by table.
row_counts() {
  local table
  psql -X -q -At -v ON_ERROR_STOP=1 -d "$(conninfo "$1")" \
    -c "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename" |
    while read -r table; do
      printf '%s\t%s\n' "$table" "$(psql -X -q -At -v ON_ERROR_STOP=1 -d "$(conninfo "$1")" \
        -c "SELECT count(*) FROM \"$table\"")"
    done
}

# Regular files under folder $1 (0 when it does not exist).
file_count() {
  if [ -d "$1" ]; then find "$1" -type f | wc -l; else echo 0; fi
}

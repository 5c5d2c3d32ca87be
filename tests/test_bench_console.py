"""`make bench-console` keeps its contract at a small scale: it loads a district through the
migrations, every page answers 200, and it prints one `<page> p50=N ms p95=N ms` line per page,
then `export rows=N seconds=N peak_mb=N` with every case exported. PostgreSQL only (the bench
is PostgreSQL's); the timings themselves are the bench's business, not a test's."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import EXTERNAL_DB

BENCH = Path(__file__).resolve().parent.parent / "bench" / "console"
CASES = 400


@pytest.fixture
def scratch_url():
    if not EXTERNAL_DB.startswith("postgresql"):
        pytest.skip("the console bench runs on PostgreSQL")
    url = make_url(EXTERNAL_DB)
    scratch = url.set(database=f"{url.database}_bench_console")
    yield scratch.render_as_string(hide_password=False)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch.database}" WITH (FORCE)'))
    admin.dispose()


def test_the_console_bench_prints_a_line_per_page_and_the_export(scratch_url):
    done = subprocess.run([sys.executable, str(BENCH), "--cases", str(CASES), "--rounds", "1", "--reload",
                           "--url", scratch_url], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    pages = [line for line in lines[:-1]]
    assert len(pages) >= 20 and all(re.fullmatch(r"\w+ p50=\d+ ms p95=\d+ ms", line) for line in pages), pages
    assert {"queue_waiting", "queue_all_search_common", "case_page_open", "dashboard_12m", "tallies_this_month"} <= {
        line.split()[0] for line in pages}
    assert re.fullmatch(rf"export rows={CASES} seconds=[\d.]+ peak_mb=\d+", lines[-1]), lines[-1]

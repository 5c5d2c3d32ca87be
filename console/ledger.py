"""The ledger (台账) download: the queue's filtered list (same tab, filters and order, every page)
as an .xlsx workbook that opens cleanly in Excel and WPS, written by ``cases.ledger`` to a
temporary file and streamed.
"""

from __future__ import annotations

import os
import tempfile

from flask import after_this_request, send_file
from flask_login import current_user, login_required

from bot.services import services
from cases.ledger import rows, write
from cases.numbering import BEIJING_OFFSET
from console import bp
from console.queues import SORTS, Filters, listed
from texts import console as words


@bp.route("/ledger.xlsx")
@login_required
def ledger():
    """The list the queue page shows (same tab, filters and order), every page of it."""
    filters = Filters.from_request()
    now = services().clock.now()
    where = listed(filters, current_user.actor, now)
    handle = tempfile.NamedTemporaryFile(prefix="minyi-ledger-", suffix=".xlsx", delete=False)  # noqa: SIM115
    handle.close()
    with services().engine.connect() as conn:
        write(handle.name, words.LEDGER_SHEET, rows(conn, where, SORTS[filters.sort]))

    @after_this_request
    def _remove(response):
        response.call_on_close(lambda: os.unlink(handle.name))
        return response

    stamp = (now + BEIJING_OFFSET).strftime("%Y%m%d-%H%M")
    return send_file(handle.name, as_attachment=True, download_name=words.LEDGER_FILE.format(stamp=stamp),
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

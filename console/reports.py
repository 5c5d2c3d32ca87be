"""The monthly reports (月报) in the console: the list of those kept within one's scope, and each
workbook to download under its Chinese name. The district office and observers see every report,
a sub-district's clerk their own sub-district's; department liaisons have no reports page. A
report outside one's scope is answered 404, exactly like one that does not exist."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import abort, render_template, send_file
from flask_login import current_user, login_required
from sqlalchemy import select

from bot.services import services
from cases import reports as rules
from console import bp
from models import District, MonthlyReport, SubDistrict
from models.report import ReportScope
from texts import reports as words

log = logging.getLogger(__name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.context_processor
def _report_words() -> dict:
    """The monthly cycle's words (the reports page, a contact point's reception day), and whether the
    navigation shows the reports link (not to department liaisons)."""
    authenticated = getattr(current_user, "is_authenticated", False)
    return {"report_words": words, "reports_link": bool(authenticated and rules.has_reports(current_user.actor))}


def _district_name(conn) -> str:
    return conn.scalar(select(District.name).order_by(District.id).limit(1)) or words.WHOLE_DISTRICT


@bp.route("/reports")
@login_required
def reports():
    actor = current_user.actor
    if not rules.has_reports(actor):
        abort(404)
    with services().engine.connect() as conn:
        district = _district_name(conn)
        rows = conn.execute(
            select(MonthlyReport.id, MonthlyReport.scope, MonthlyReport.month, MonthlyReport.size,
                   MonthlyReport.created_at, SubDistrict.name.label("sub_district"))
            .outerjoin(SubDistrict, SubDistrict.id == MonthlyReport.sub_district_id)
            .where(rules.clause(actor))
            .order_by(MonthlyReport.month.desc(), MonthlyReport.scope, SubDistrict.code)).all()
    shown = [{"id": row.id, "month": words.month_label(row.month),
              "scope": district if row.scope is ReportScope.DISTRICT else row.sub_district,
              "size": words.KILOBYTES.format(size=max(row.size / 1024, 1)), "created_at": row.created_at}
             for row in rows]
    return render_template("console/reports.html", reports=shown)


@bp.route("/reports/<int:report_id>.xlsx")
@login_required
def report_download(report_id: int):
    """One kept workbook, named 「东街街道2026年11月民意月报.xlsx」 (RFC 5987 filename*)."""
    actor = current_user.actor
    with services().engine.connect() as conn:
        row = conn.execute(select(MonthlyReport.scope, MonthlyReport.sub_district_id, MonthlyReport.month,
                                  MonthlyReport.path, SubDistrict.name.label("sub_district"))
                           .outerjoin(SubDistrict, SubDistrict.id == MonthlyReport.sub_district_id)
                           .where(MonthlyReport.id == report_id)).first()
        if row is None or not rules.sees(actor, row.scope, row.sub_district_id):
            abort(404)
        name = _district_name(conn) if row.scope is ReportScope.DISTRICT else row.sub_district
    root = Path(services().settings.reports_dir).resolve()
    path = (root / row.path).resolve()
    if root not in path.parents or not path.is_file():
        log.warning("monthly report %s: its file %s is missing", report_id, row.path)
        abort(404)
    return send_file(path, as_attachment=True, download_name=rules.file_name(name, row.month), mimetype=XLSX)

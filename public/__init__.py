"""Public pages (公示), outside the console and without a login: each contact point that chose to
have one (``contact_points.public_page``) shows its representatives, reception hours, its
answered cases with every personal datum removed (``cases.anonymise``) and its figures, at
``/public/points/<code>``. A point without a public page answers 404, exactly like one that does
not exist.
"""

from __future__ import annotations

from flask import Blueprint, Flask, render_template
from werkzeug.exceptions import NotFound

from texts import public as words

bp = Blueprint("public", __name__, url_prefix="/public", template_folder="templates")


def init_app(app: Flask) -> None:
    from public import points  # noqa: F401 - its routes register on bp

    app.register_blueprint(bp)


@bp.errorhandler(NotFound)
def _not_found(error: NotFound):
    return render_template("public/not_found.html", words=words), 404

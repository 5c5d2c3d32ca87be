"""The rating page (验单): a resident taps the link of the question they were sent and rates the
answer in three taps — solved?, satisfied?, submit — with an optional comment.

``/rate?t=TOKEN``. The token (``cases.ratings.sign_token``) is signed with the app's secret key,
dated, and carries one rating's id, never an openid; it is good for ``ratings.expire_days``. It
travels in the query string, not the path, because every access log here (nginx's ``$uri``,
gunicorn's ``%(U)s``, ``minyi run``'s) records paths without their query strings: a token is a
capability and is never logged. The form posts it back in its body.

No CSRF token: the page uses no session or cookie (a resident opens it in WeChat's browser, not
logged in to anything), so a forged request has nothing of the resident's to ride on; the signed
token itself is the capability, and whoever lacks it can post nothing. (Flask-WTF's CSRF is per
console form here, not app-wide; it would only add a session cookie WeChat's browser may drop.)

Mobile-first, Simplified Chinese, no external assets: one template with inline CSS, autoescaped.
A second answer shows the recorded one and counts nothing twice; an expired or unknown link gets
a polite page, and so does the link of an answer superseded by a reopen (nothing to rate now). The case's summary and the answer are shown with phone and ID numbers masked:
a link can be forwarded.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, current_app, has_app_context, render_template_string, request
from sqlalchemy import Connection, select

from bot.config import Settings
from bot.services import services
from cases import ratings
from cases.numbering import case_number
from cases.privacy import mask_numbers
from models import Case, CaseEvent, CaseRating
from texts import ratings as words

bp = Blueprint("rating", __name__)
PATH = "/rate"
SANDBOX_API_PATH = "sandbox/api/cgi-bin/"


def signing_key(settings: Settings) -> str:
    """The key the page's tokens are signed with: ``secret_key``; without one, the app's own
    random key, which only `minyi run`'s single process shares with its scheduler (sandbox mode),
    so elsewhere there is no key and no link (residents rate by replying digits)."""
    if settings.secret_key:
        return settings.secret_key
    if settings.wechat_sandbox and has_app_context():
        return current_app.config["SECRET_KEY"]
    return ""


def base_url(settings: Settings) -> str:
    """Where residents' phones reach the site: ``ratings.base_url``; in sandbox mode, the app's
    own address (the one its fake WeChat API lives under)."""
    if settings.ratings_base_url:
        return settings.ratings_base_url.rstrip("/")
    if settings.wechat_sandbox and settings.wechat_api_base_url.endswith(SANDBOX_API_PATH):
        return settings.wechat_api_base_url.removesuffix(SANDBOX_API_PATH).rstrip("/")
    return ""


def link_maker(settings: Settings, now):
    """``rating id → the page's address`` for ratings asked at ``now``; None when no link can be
    made (no public address or no signing key)."""
    key, base = signing_key(settings), base_url(settings)
    if not key or not base:
        return None
    return lambda rating_id: f"{base}{PATH}?t={ratings.sign_token(key, rating_id, now)}"


def _answer_shown(conn: Connection, case_id: int, event_id: int) -> str:
    """The answer the rating is about: the round's latest reply up to the rated step (a close
    rates the answer before it)."""
    note = conn.scalar(select(CaseEvent.note).where(CaseEvent.case_id == case_id, CaseEvent.id <= event_id,
                                                    CaseEvent.action.in_(ratings.ANSWERS))
                       .order_by(CaseEvent.id.desc()).limit(1))
    return mask_numbers(note or "")


def _page(template: str, status: int = 200, **values) -> Response:
    response = Response(render_template_string(PAGE, words=words, body=template, **values), status=status,
                        mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"   # the address carries the token
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.route(PATH, methods=["GET", "POST"])
def rate():
    svc = services()
    settings, now = svc.settings, svc.clock.now()
    token = (request.form.get("t") if request.method == "POST" else request.args.get("t")) or ""
    try:
        rating_id = ratings.read_token(current_app.config["SECRET_KEY"], token, now,
                                       timedelta(days=settings.ratings_expire_days))
    except ratings.TokenExpired:
        return _page("expired")
    except ratings.BadToken:
        return _page("invalid", 404)
    with svc.engine.begin() as conn:
        case_id = conn.scalar(select(CaseRating.case_id).where(CaseRating.id == rating_id))
        if case_id is not None:
            ratings.supersede(conn, now, case_id)   # reopened since it was asked: nothing to rate
        row = conn.execute(select(CaseRating.case_id, CaseRating.event_id, CaseRating.status, CaseRating.solved,
                                  CaseRating.satisfaction, Case.created_at, Case.summary)
                           .join(Case, Case.id == CaseRating.case_id).where(CaseRating.id == rating_id)).first()
        if row is None:
            return _page("invalid", 404)
        shown = {"token": token, "number": case_number(row.case_id, row.created_at),
                 "summary": mask_numbers(row.summary or ""), "answer": _answer_shown(conn, row.case_id, row.event_id)}
        if row.status in ("expired", "superseded"):
            return _page(row.status)
        if row.status == "rated":
            return _page("done", verdict=words.verdict(row.solved, row.satisfaction), outcome="already", **shown)
        if request.method == "GET":
            return _page("form", solved=row.solved, satisfaction=row.satisfaction, **shown)
        solved, satisfaction = request.form.get("solved", ""), request.form.get("satisfaction", "")
        comment = request.form.get("comment", "")
        if solved not in words.SOLVED_LABELS or satisfaction not in words.SATISFACTION_LABELS:
            return _page("form", 400, missing=True, solved=solved, satisfaction=satisfaction, comment=comment,
                         **shown)
        verdict = ratings.rate(conn, rating_id, solved, satisfaction, comment, now)
    if verdict.outcome in ("expired", "superseded"):
        return _page(verdict.outcome)
    return _page("done", verdict=words.verdict(verdict.solved, verdict.satisfaction), outcome=verdict.outcome,
                 unit=verdict.unit, rejected=ratings.rejects(verdict.solved, verdict.satisfaction), **shown)


PAGE = """<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{ words.PAGE_TITLE }}</title>
<style>
  body { margin: 0; font: 18px/1.6 -apple-system, "PingFang SC", "Microsoft YaHei", sans-serif;
         background: #f2f3f5; color: #1f2329; }
  main { max-width: 36rem; margin: 0 auto; padding: 1rem; }
  h1 { font-size: 1.35rem; margin: .5rem 0 1rem; }
  section { background: #fff; border-radius: .75rem; padding: 1rem; margin-bottom: 1rem; }
  .label { color: #646a73; font-size: .9rem; }
  .quote { white-space: pre-wrap; word-break: break-word; margin: .25rem 0 .75rem; }
  fieldset { border: 0; padding: 0; margin: 0 0 1rem; }
  legend { font-weight: 600; margin-bottom: .5rem; }
  .choices { display: flex; gap: .5rem; }
  .choices label { flex: 1; }
  .choices input { position: absolute; opacity: 0; }
  .choices span { display: block; text-align: center; padding: .9rem .25rem; border: 2px solid #c9cdd4;
                  border-radius: .6rem; background: #fff; font-size: 1.05rem; }
  .choices input:checked + span { border-color: #c62828; background: #fdecea; color: #c62828; font-weight: 600; }
  .choices input:focus-visible + span { outline: 3px solid #1f6feb; }
  textarea { box-sizing: border-box; width: 100%; min-height: 5rem; font: inherit; padding: .5rem;
             border: 1px solid #c9cdd4; border-radius: .5rem; }
  button { width: 100%; padding: 1rem; font-size: 1.15rem; border: 0; border-radius: .6rem;
           background: #c62828; color: #fff; }
  .notice { color: #c62828; font-weight: 600; }
  footer { text-align: center; color: #8f959e; font-size: .85rem; padding: 1rem 0; }
</style>
</head>
<body>
<main>
{% if body == "invalid" %}
  <h1>{{ words.PAGE_INVALID_TITLE }}</h1>
  <section><p>{{ words.PAGE_INVALID }}</p></section>
{% elif body == "expired" %}
  <h1>{{ words.PAGE_EXPIRED_TITLE }}</h1>
  <section><p>{{ words.PAGE_EXPIRED }}</p></section>
{% elif body == "superseded" %}
  <h1>{{ words.PAGE_SUPERSEDED_TITLE }}</h1>
  <section><p>{{ words.PAGE_SUPERSEDED }}</p></section>
{% else %}
  <h1>{{ words.PAGE_TITLE }}</h1>
  <section>
    <div class="label">{{ words.PAGE_NUMBER }}</div><div class="quote">{{ number }}</div>
    <div class="label">{{ words.PAGE_SUMMARY }}</div><div class="quote">{{ summary }}</div>
    {% if answer %}<div class="label">{{ words.PAGE_ANSWER }}</div><div class="quote">{{ answer }}</div>{% endif %}
  </section>
  {% if body == "done" %}
  <section>
    {% if outcome == "already" %}<p>{{ words.PAGE_RECORDED }}</p>{% else %}<p>{{ words.PAGE_DONE }}</p>{% endif %}
    <p><strong>{{ verdict.solved }}、{{ verdict.satisfaction }}</strong></p>
    {% if outcome == "closed" %}<p>{{ words.PAGE_DONE_CLOSED }}</p>
    {% elif outcome == "reopened" %}<p>{{ words.PAGE_DONE_REOPENED.format(unit=unit) }}</p>
    {% elif outcome == "kept" and rejected %}<p>{{ words.PAGE_DONE_KEPT }}</p>{% endif %}
  </section>
  {% else %}
  <form method="post" action="{{ request.path }}">
    <input type="hidden" name="t" value="{{ token }}">
    <section>
      <p>{{ words.PAGE_INTRO }}</p>
      {% if missing %}<p class="notice" role="alert">{{ words.PAGE_MISSING }}</p>{% endif %}
      <fieldset>
        <legend>{{ words.PAGE_SOLVED }}</legend>
        <div class="choices">
        {% for value, label in words.SOLVED_LABELS.items() %}
          <label><input type="radio" name="solved" value="{{ value }}" {{ "checked" if solved == value }}
                        required><span>{{ label }}</span></label>
        {% endfor %}
        </div>
      </fieldset>
      <fieldset>
        <legend>{{ words.PAGE_SATISFACTION }}</legend>
        <div class="choices">
        {% for value, label in words.SATISFACTION_LABELS.items() %}
          <label><input type="radio" name="satisfaction" value="{{ value }}"
                        {{ "checked" if satisfaction == value }} required><span>{{ label }}</span></label>
        {% endfor %}
        </div>
      </fieldset>
      <fieldset>
        <legend>{{ words.PAGE_COMMENT }}</legend>
        <textarea name="comment" maxlength="{{ words.COMMENT_CHARS }}"
                  placeholder="{{ words.PAGE_COMMENT_HINT }}">{{ comment }}</textarea>
      </fieldset>
      <button type="submit">{{ words.PAGE_SUBMIT }}</button>
    </section>
  </form>
  {% endif %}
{% endif %}
</main>
<footer>{{ words.PAGE_FOOTER }}</footer>
</body>
</html>
"""

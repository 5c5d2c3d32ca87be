"""The phone simulator (``/sandbox``): a WeChat client for any resident, representative or staff
member who bound their WeChat (the workbench's commands are typed on their phones).

Every action becomes what WeChat itself would do: the fake's record of the user is updated
(following or not, the customer-service window the action opens, uploaded media), then a signed,
optionally encrypted XML delivery goes through the real ``/wechat`` webhook, and the passive reply
lands on the phone's chat beside the messages the app pushes through the fake API. Nothing here
writes to minyi's database directly.
"""

from __future__ import annotations

import io
import secrets
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request
from sqlalchemy import select
from sqlalchemy.orm import Session
from wechatpy.exceptions import WeChatClientException

from bot.services import services
from demo.data import RESIDENT_BY_OPENID
from models import ContactPoint, Representative, Resident, StaffRole, StaffUser, SubDistrict
from qr.codes import decode_qr, ensure_permanent_qr
from qr.export import representative_page
from qr.posters import png_bytes
from qr.scenes import representative_scene
from sandbox import texts
from sandbox.webhook_client import Delivery, WeChatServer
from sandbox.world import World
from texts import LEVEL_LABELS

bp = Blueprint("sandbox", __name__, url_prefix="/sandbox", template_folder="templates",
               static_folder="static", static_url_path="/static")

MODES = ("plain", "safe")
MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # WeChat's own limit for a picture
MAX_TEXT = 2000
NICKNAME_MAX = 16      # characters of a nickname typed for a new phone
PHONES_LISTED = 30     # the newest phones made here, listed first
RESIDENTS_LISTED = 50  # then the newest residents minyi knows
DEMO_NICKNAMES = frozenset(RESIDENT_BY_OPENID.values())
# The staff group's order on the phone picker: clerks of sub-districts, department liaisons, the office.
STAFF_ORDER = {StaffRole.SUBDISTRICT: 0, StaffRole.DEPARTMENT: 1, StaffRole.DISTRICT: 2}
# A few seconds of AMR silence: what the fake keeps as the voice note's media.
SILENT_AMR = b"#!AMR\n" + b"\x7c" * 150


class Refused(Exception):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


@bp.before_request
def _allow_photos() -> None:
    # The app's own limit is the webhook's (64 KB); a phone sends photos of up to 10 MB.
    request.max_content_length = MAX_UPLOAD_BYTES + 64 * 1024


@bp.errorhandler(Refused)
def _refused(error: Refused):
    return jsonify({"error": error.message}), error.status


def _world() -> World:
    return World(services().redis)


def _session() -> Session:
    return Session(services().engine)


@bp.get("/")
def page():
    return render_template("sandbox.html")


@bp.get("/directory")
def directory():
    """Who can be played (residents, representatives and staff with a bound WeChat), what can be
    scanned, and places a resident can send."""
    with _session() as session:
        reps = session.execute(
            select(Representative, ContactPoint.name, SubDistrict.name)
            .outerjoin(ContactPoint, ContactPoint.id == Representative.primary_contact_point_id)
            .outerjoin(SubDistrict, SubDistrict.id == Representative.sub_district_id)
            .where(Representative.active.is_(True))
            .order_by(SubDistrict.code, Representative.code)
        ).all()
        staff = session.scalars(
            select(StaffUser).where(StaffUser.openid.is_not(None), StaffUser.active.is_(True))
            .order_by(StaffUser.username)
        ).all()
        points = session.scalars(select(ContactPoint).order_by(ContactPoint.code)).all()
        workers = {rep.openid for rep, _, _ in reps if rep.openid} | {user.openid for user in staff}
        residents = _resident_phones(session, _world(), workers)
        return jsonify({
            "representatives": [
                {"code": rep.code, "name": rep.name, "level": LEVEL_LABELS.get(rep.level, ""),
                 "constituency": rep.constituency, "contact_point": point or "", "sub_district": sub or "",
                 "openid": rep.openid}
                for rep, point, sub in reps
            ],
            "staff": [
                {"username": user.username, "name": user.display_name, "role": str(user.role),
                 "openid": user.openid}
                for user in sorted(staff, key=lambda user: STAFF_ORDER.get(user.role, len(STAFF_ORDER)))
            ],
            "residents": residents,
            "landmarks": [
                {"name": p.name, "address": p.address, "latitude": p.latitude, "longitude": p.longitude}
                for p in points if p.latitude is not None and p.longitude is not None
            ],
            "modes": list(MODES),
        })


def _resident_phones(session: Session, world: World, workers: set[str]) -> list[dict[str, str]]:
    """Residents' phones as the picker lists them: the phones made here (newest first), then the
    newest residents minyi knows; representatives' and staff's phones are theirs, not residents'.
    Each is named by its owner's nickname (given here, or the demo's); a phone the fake WeChat has
    forgotten (its memory was cleared) by its number among minyi's residents. Never by openid."""
    made = dict(world.phones(PHONES_LISTED))  # openid → nickname, newest first
    rows = (select(Resident.id, Resident.openid, Representative.name.label("representative"),
                   ContactPoint.name.label("contact_point"))
            .outerjoin(Representative, Representative.id == Resident.representative_id)
            .outerjoin(ContactPoint, ContactPoint.id == Resident.contact_point_id)
            .where(Resident.openid.is_not(None)))   # a resident staff filed for has no phone here
    made_residents = {}
    if made:
        made_residents = {row.openid: row for row in session.execute(rows.where(Resident.openid.in_(list(made))))}
    older = [row for row in session.execute(rows.order_by(Resident.id.desc()).limit(RESIDENTS_LISTED))
             if row.openid not in made]
    names = made | world.phone_names([row.openid for row in older])
    phones = [(openid, made_residents.get(openid)) for openid in made] + [(row.openid, row) for row in older]
    return [
        {"openid": openid,
         "name": names.get(openid) or RESIDENT_BY_OPENID.get(openid) or texts.UNNAMED_RESIDENT.format(number=row.id),
         "representative": (row.representative if row else None) or "",
         "contact_point": (row.contact_point if row else None) or ""}
        for openid, row in phones if openid not in workers
    ]


@bp.post("/phones")
def new_phone():
    """A new WeChat user: an openid of WeChat's shape, not yet following the account, named by the
    nickname typed (form field ``nickname``) or 居民1, 居民2…"""
    nickname = " ".join(request.form.get("nickname", "").split())
    if len(nickname) > NICKNAME_MAX or not nickname.isprintable():
        raise Refused(texts.BAD_NICKNAME)
    world = _world()
    openid = "o" + secrets.token_urlsafe(21)[:27]
    name = _name_phone(world, openid, nickname)
    world.user_known(openid, subscribed=False)
    return jsonify({"openid": openid, "name": name})


def _name_phone(world: World, openid: str, nickname: str) -> str:
    """Claim ``nickname`` for the phone, or the next free 居民N when none was typed."""
    if nickname:
        if nickname in DEMO_NICKNAMES or not world.name_phone(openid, nickname):
            raise Refused(texts.NICKNAME_TAKEN.format(name=nickname), 409)
        return nickname
    while True:
        name = texts.NEW_PHONE.format(number=world.next_phone_number())
        if name not in DEMO_NICKNAMES and world.name_phone(openid, name):
            return name


@bp.get("/phones/<openid>/chat")
def chat(openid: str):
    after = request.args.get("after", "0")
    if not (after.isascii() and after.isdigit()) or len(after) > 9:
        raise Refused(texts.BAD_CURSOR)
    follower = _world().follower(openid)
    return jsonify({"entries": _world().chat(openid, int(after)), "following": follower.subscribed})


@bp.post("/phones/<openid>/send")
def send(openid: str):
    """One thing the phone's owner does: ``kind`` is text, voice, image, location, scan, follow
    or unfollow. Form fields (multipart for pictures and posters), answered with the passive reply."""
    if not 1 <= len(openid) <= 64:
        raise Refused(texts.BAD_PHONE)
    form = request.form
    kind = form.get("kind", "")
    mode = form.get("mode", "plain")
    if mode not in MODES:
        raise Refused(texts.BAD_MODE)
    action = ACTIONS.get(kind)
    if action is None:
        raise Refused(texts.UNKNOWN_ACTION)
    world = _world()
    now = services().clock.time()
    following = world.follower(openid).subscribed
    if kind not in ("follow", "scan", "scan_image") and not following:
        raise Refused(texts.FOLLOW_FIRST)
    server = WeChatServer.for_app(current_app._get_current_object())
    delivery = action(server, world, openid, mode, following, now)
    reply = delivery.text
    if delivery.status != 200:
        world.append_chat(openid, {"at": now, "side": "system", "kind": "text",
                                   "text": texts.WEBHOOK_REFUSED.format(status=delivery.status)})
    elif reply:
        world.append_chat(openid, {"at": services().clock.time(), "side": "account", "via": "passive",
                                   "kind": "text", "text": reply})
    return jsonify({"status": delivery.status, "reply": reply})


def _user_says(world: World, openid: str, now: float, entry: dict[str, Any]) -> None:
    """A message of the user's own: WeChat opens its 48-hour window for 5 customer-service messages."""
    world.user_wrote(openid, now)
    world.append_chat(openid, {"at": now, "side": "user", **entry})


def _text(server: WeChatServer, world: World, openid: str, mode: str, following: bool, now: float) -> Delivery:
    content = request.form.get("text", "").strip()
    if not content or len(content) > MAX_TEXT:
        raise Refused(texts.BAD_TEXT)
    _user_says(world, openid, now, {"kind": "text", "text": content})
    return server.text(openid, content, mode)


def _voice(server: WeChatServer, world: World, openid: str, mode: str, following: bool, now: float) -> Delivery:
    spoken = request.form.get("text", "").strip()
    if not spoken or len(spoken) > MAX_TEXT:
        raise Refused(texts.BAD_VOICE)
    media_id = world.store_media("voice", SILENT_AMR, "audio/amr", "voice.amr", now)
    _user_says(world, openid, now, {"kind": "voice", "text": spoken})
    return server.send(openid, "voice", {"MediaId": media_id, "Format": "amr", "Recognition": spoken}, mode)


def _uploaded_image() -> tuple[bytes, str, str]:
    upload = request.files.get("file")
    if upload is None:
        raise Refused(texts.NO_FILE)
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    if not data:
        raise Refused(texts.NO_FILE)
    if len(data) > MAX_UPLOAD_BYTES:
        raise Refused(texts.FILE_TOO_LARGE, 413)
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            image_format = image.format or ""
    except UnidentifiedImageError:
        raise Refused(texts.NOT_AN_IMAGE) from None
    content_type = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif"}.get(image_format)
    if content_type is None:
        raise Refused(texts.NOT_AN_IMAGE)
    return data, content_type, upload.filename or "photo"


def _image(server: WeChatServer, world: World, openid: str, mode: str, following: bool, now: float) -> Delivery:
    data, content_type, filename = _uploaded_image()
    media_id = world.store_media("image", data, content_type, filename, now)
    _user_says(world, openid, now, {"kind": "image", "media_id": media_id})
    pic_url = request.host_url.rstrip("/") + f"/sandbox/media/{media_id}"
    return server.send(openid, "image", {"PicUrl": pic_url, "MediaId": media_id}, mode)


def _location(server: WeChatServer, world: World, openid: str, mode: str, following: bool, now: float) -> Delivery:
    try:
        latitude = float(request.form.get("latitude", ""))
        longitude = float(request.form.get("longitude", ""))
    except ValueError:
        raise Refused(texts.BAD_COORDINATES) from None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise Refused(texts.BAD_COORDINATES)
    label = request.form.get("label", "").strip()[:100]
    _user_says(world, openid, now, {"kind": "location", "text": label or f"{latitude:.5f}, {longitude:.5f}",
                                    "latitude": latitude, "longitude": longitude})
    return server.location(openid, latitude, longitude, label, mode)


def _scan_delivery(server: WeChatServer, world: World, openid: str, mode: str, following: bool, now: float,
                   qr: dict[str, Any], label: str) -> Delivery:
    world.user_tapped(openid, now, subscribed=True)  # a scan opens the 1-minute window for 3
    world.append_chat(openid, {"at": now, "side": "user", "kind": "scan", "text": label})
    return server.scan(openid, qr["scene"], qr["ticket"], new_follower=not following, mode=mode)


def _scan(server: WeChatServer, world: World, openid: str, mode: str, following: bool, now: float) -> Delivery:
    """Scan a representative's poster picked from the list (its code is created if it has none)."""
    code = request.form.get("code", "")
    with _session() as session:
        rep = session.scalar(select(Representative).where(Representative.code == code))
        if rep is None:
            raise Refused(texts.UNKNOWN_REPRESENTATIVE, 404)
        try:
            url = ensure_permanent_qr(session, services().wechat, rep, services().clock.now())
        except WeChatClientException as error:
            raise Refused(texts.QR_NOT_CREATED.format(errcode=error.errcode), 502) from None
        name = rep.name
        session.commit()
    qr = world.qr_by_url(url)
    if qr is None:  # a code created before the fake's memory was cleared: WeChat would still know it
        qr = {"scene": representative_scene(code), "ticket": "", "url": url}
    return _scan_delivery(server, world, openid, mode, following, now, qr, texts.SCANNED.format(name=name))


def _scan_image(server: WeChatServer, world: World, openid: str, mode: str, following: bool,
                now: float) -> Delivery:
    """Scan a poster from a picture of it: the QR is decoded as WeChat's camera would."""
    data, _, _ = _uploaded_image()
    found = decode_qr(data)
    if not found:
        raise Refused(texts.NO_QR_FOUND)
    qr = world.qr_by_url(found[0])
    if qr is None:
        raise Refused(texts.FOREIGN_QR)
    return _scan_delivery(server, world, openid, mode, following, now, qr, texts.SCANNED_IMAGE)


def _follow(server: WeChatServer, world: World, openid: str, mode: str, following: bool, now: float) -> Delivery:
    world.user_tapped(openid, now, subscribed=True)
    world.append_chat(openid, {"at": now, "side": "user", "kind": "event", "text": texts.FOLLOWED})
    return server.event(openid, "subscribe", None, mode)


def _unfollow(server: WeChatServer, world: World, openid: str, mode: str, following: bool, now: float) -> Delivery:
    world.user_known(openid, subscribed=False)  # no longer following: no window, 45015 for pushes
    world.append_chat(openid, {"at": now, "side": "user", "kind": "event", "text": texts.UNFOLLOWED})
    return server.event(openid, "unsubscribe", None, mode)


ACTIONS = {
    "text": _text,
    "voice": _voice,
    "image": _image,
    "location": _location,
    "scan": _scan,
    "scan_image": _scan_image,
    "follow": _follow,
    "unfollow": _unfollow,
}


@bp.get("/media/<media_id>")
def media(media_id: str):
    """What the phone shows for a picture sent or received (WeChat's CDN, in the sandbox)."""
    found = _world().media(media_id)
    if found is None:
        abort(404)
    return Response(found["data"], mimetype=found["content_type"])


@bp.get("/poster/<code>.png")
def representative_poster(code: str):
    """The representative's printable poster (A4, 300 dpi), to save and upload back as a photo
    of the poster; its code is created first if it has none."""
    with _session() as session:
        rep = session.scalar(select(Representative).where(Representative.code == code))
        if rep is None:
            abort(404)
        ensure_permanent_qr(session, services().wechat, rep, services().clock.now())
        session.commit()
        page = representative_page(session, rep, "A4", services().settings)
    return Response(png_bytes(page), mimetype="image/png",
                    headers={"Content-Disposition": f'inline; filename="{code}.png"'})

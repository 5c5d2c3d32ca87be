"""The directory's forms (Flask-WTF, each with its CSRF token) and the pure checks behind them.

Choices are StringFields with AnyOf (WTForms 3.3 deprecates tuple choices); the templates draw
them as selects from the same lists. Every message is Chinese (texts.directory).
"""

from __future__ import annotations

import math
import re

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired, FileSize
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, Optional, Regexp, ValidationError

from accounts.staff import USERNAME
from cases.status import RepresentativeLevel
from models.district import ContactPointKind, RunBy
from models.staff import StaffRole
from texts import directory as words
from texts import public as public_words
from texts import reports as report_words

CODE = re.compile(r"^[a-z0-9][a-z0-9-]{1,31}$")
PHONE = re.compile(r"^[0-9+\-() ]{3,32}$")
RECEPTION_DAY = re.compile(r"^(?:[1-9]|1[0-9]|2[0-8])$")   # a day every month has
ALIAS_SEPARATORS = re.compile(r"[,，、;；\s]+")
PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_TYPES = ("jpg", "jpeg", "png")
INTRODUCTION_MAX = 300


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def text(label: str, limit: int, *, required: bool = False, hint: str = "", area: bool = False):
    """A text field of at most ``limit`` characters, trimmed, required or not."""
    first = DataRequired(words.REQUIRED) if required else Optional()
    kind = TextAreaField if area else StringField
    return kind(label, validators=[first, Length(max=limit, message=words.TOO_LONG.format(max=limit))],
                description=hint, filters=[_strip])


def code_field():
    return StringField(words.CODE, validators=[DataRequired(words.REQUIRED), Regexp(CODE, message=words.CODE_FORMAT)],
                       description=words.CODE_HINT, filters=[_strip, lambda value: value.lower() if value else value])


def choice(label: str, values, *, required: bool = True):
    first = DataRequired(words.REQUIRED) if required else Optional()
    return StringField(label, validators=[first, AnyOf(list(values), message=words.CHOOSE_ONE)], filters=[_strip])


def phone_field(label: str = words.PHONE):
    return StringField(label, validators=[Optional(), Length(max=32, message=words.TOO_LONG.format(max=32)),
                                          Regexp(PHONE, message=words.PHONE_FORMAT)], filters=[_strip])


def parse_coordinate(value: str, low: float, high: float, message: str) -> float:
    """A latitude or longitude typed by a person: a finite number within [low, high]."""
    try:
        number = float(value.replace("，", ".").strip())
    except ValueError:
        raise ValueError(words.NOT_A_NUMBER) from None
    if not math.isfinite(number) or not low <= number <= high:
        raise ValueError(message)
    return number


def _coordinate(low: float, high: float, message: str):
    def check(form, field) -> None:
        try:
            parse_coordinate(field.data, low, high, message)
        except ValueError as error:
            raise ValidationError(str(error)) from None
    return check


def normalise_aliases(value: str) -> list[str]:
    """What people call a department, one each, in the order given: 「城管，城管局、 执法局」."""
    seen: list[str] = []
    for alias in ALIAS_SEPARATORS.split(value or ""):
        if alias and alias not in seen:
            seen.append(alias)
    return seen


class SubDistrictForm(FlaskForm):
    district_name = text(words.DISTRICT_NAME, 64, hint=words.DISTRICT_NAME_HINT)  # only before the district exists
    code = code_field()
    name = text(words.NAME, 64, required=True)
    committee_name = text(words.COMMITTEE_NAME, 64, hint=words.COMMITTEE_HINT)
    committee_phone = phone_field(words.COMMITTEE_PHONE)


class ContactPointForm(FlaskForm):
    code = code_field()
    name = text(words.NAME, 64, required=True)
    kind = choice(words.KIND, [k.value for k in ContactPointKind])
    run_by = choice(words.RUN_BY, [r.value for r in RunBy])
    sub_district = StringField(words.SUB_DISTRICT, validators=[DataRequired(words.REQUIRED)], filters=[_strip])
    address = text(words.ADDRESS, 200)
    latitude = StringField(words.LATITUDE, validators=[Optional(), _coordinate(-90, 90, words.LATITUDE_RANGE)],
                           description=words.COORDINATES_HINT, filters=[_strip])
    longitude = StringField(words.LONGITUDE, validators=[Optional(), _coordinate(-180, 180, words.LONGITUDE_RANGE)],
                            filters=[_strip])
    reception_hours = text(words.RECEPTION_HOURS, 100, hint=words.RECEPTION_HOURS_HINT)
    reception_day = StringField(
        report_words.RECEPTION_DAY, description=report_words.RECEPTION_DAY_HINT, filters=[_strip],
        validators=[Optional(), Regexp(RECEPTION_DAY, message=report_words.RECEPTION_DAY_RANGE)])
    phone = phone_field()
    public_page = BooleanField(public_words.PUBLIC_PAGE, description=public_words.PUBLIC_PAGE_HINT, default=False)

    def __init__(self, *args, sub_codes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.sub_codes = frozenset(sub_codes)

    def validate_sub_district(self, field) -> None:
        if field.data not in self.sub_codes:
            raise ValidationError(words.CHOOSE_ONE)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid and bool(self.latitude.data) != bool(self.longitude.data):
            (self.longitude if self.latitude.data else self.latitude).errors.append(words.COORDINATES_BOTH)
            return False
        return valid

    def coordinates(self) -> tuple[float | None, float | None]:
        if not self.latitude.data:
            return None, None
        return (parse_coordinate(self.latitude.data, -90, 90, words.LATITUDE_RANGE),
                parse_coordinate(self.longitude.data, -180, 180, words.LONGITUDE_RANGE))


class RepresentativeForm(FlaskForm):
    code = code_field()
    name = text(words.PERSON_NAME, 32, required=True)
    level = choice(words.LEVEL, [level.value for level in RepresentativeLevel])
    constituency = text(words.CONSTITUENCY, 64, hint=words.CONSTITUENCY_HINT)
    contact_point = StringField(words.PRIMARY_POINT, validators=[DataRequired(words.REQUIRED)], filters=[_strip])
    work_unit = text(words.WORK_UNIT, 100)
    introduction = text(words.INTRODUCTION, INTRODUCTION_MAX, area=True)
    active = BooleanField(words.ACTIVE, default=True)

    def __init__(self, *args, point_codes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.point_codes = frozenset(point_codes)

    def validate_contact_point(self, field) -> None:
        if field.data not in self.point_codes:
            raise ValidationError(words.CHOOSE_ONE)


class DepartmentForm(FlaskForm):
    code = code_field()
    name = text(words.NAME, 64, required=True)
    short_name = text(words.SHORT_NAME, 32, hint=words.SHORT_NAME_HINT)
    phone = phone_field()
    aliases = text(words.ALIASES, 500, hint=words.ALIASES_HINT, area=True)


class StaffForm(FlaskForm):
    username = StringField(words.USERNAME, validators=[DataRequired(words.REQUIRED),
                                                       Regexp(USERNAME, message=words.USERNAME_FORMAT)],
                           filters=[_strip, lambda value: value.lower() if value else value])
    display_name = text(words.DISPLAY_NAME, 64, required=True)
    role = choice(words.ROLE, [role.value for role in StaffRole])
    unit = StringField(words.UNIT, validators=[Optional()], description=words.UNIT_HINT, filters=[_strip])


class PhotoForm(FlaskForm):
    photo = FileField(words.PHOTO, validators=[
        FileRequired(words.PHOTO_REQUIRED), FileAllowed(PHOTO_TYPES, words.PHOTO_TYPE),
        FileSize(PHOTO_MAX_BYTES, message=words.PHOTO_TOO_LARGE.format(megabytes=PHOTO_MAX_BYTES // 2**20))],
        description=words.PHOTO_HINT.format(megabytes=PHOTO_MAX_BYTES // 2**20))


class ReissueForm(FlaskForm):
    reason = text(words.REISSUE_REASON, 200, required=True)


class PrintForm(FlaskForm):
    paper = choice(words.PAPER, words.PAPERS)


class ButtonForm(FlaskForm):
    """A button that acts (bind code, deactivate…): only its CSRF token."""

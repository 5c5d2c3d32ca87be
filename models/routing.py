"""What the routing engine proposed for a case, and the models it learned from people's decisions.

A suggestion is kept apart from the case's own tier, department, category and colour (what a person
chose), so the two can be compared; it names the model version that made it. Models are stored as
JSON numbers (never pickle): nothing read back from the database can run.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class CaseSuggestion(Base):
    __tablename__ = "case_suggestions"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    model_version: Mapped[str] = mapped_column(String(32))
    category: Mapped[str | None] = mapped_column(String(64))
    tier: Mapped[str | None] = mapped_column(String(20))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    colour: Mapped[str | None] = mapped_column(String(8))
    confidence: Mapped[float] = mapped_column(Float, default=0.0)   # the category's
    # Per question: {"label", "confidence", "evidence": [readable lines]} (Engine.Suggestion.as_dict)
    detail: Mapped[dict] = mapped_column(JSON)
    # The text's words and character pairs (cases.routing.text.features), space-separated: what
    # related cases compare, cut once rather than on every case page.
    terms: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class RoutingModel(Base):
    """One retraining: its figures on held-back recent decisions, and whether it was promoted."""

    __tablename__ = "routing_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    decisions: Mapped[int] = mapped_column(Integer)       # labelled cases it learned from
    held_back: Mapped[int] = mapped_column(Integer)       # recent ones it was evaluated on
    figures: Mapped[dict] = mapped_column(JSON)           # per question: candidate, current, rules alone
    promoted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    active: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    heads: Mapped[dict] = mapped_column(JSON)             # engine.Learned.to_json() per question

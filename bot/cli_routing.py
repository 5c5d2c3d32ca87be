"""``minyi routing``: evaluate the suggestions on labelled files, explain one, retrain by hand."""

from __future__ import annotations

import json
from pathlib import Path

import click

from bot.config import load_settings


@click.group()
def routing() -> None:
    """Tier, department, category and colour suggestions (the routing engine)."""


def _rules():
    from scheduler.routing import rules_loader

    return rules_loader(load_settings())()


@routing.command("evaluate")
@click.option("--history", "history", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="UTF-8 CSV text,label: the decisions to learn from (header only: the cold start).")
@click.option("--test", "test", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="UTF-8 CSV text,label: the messages to predict; their labels are read only to score.")
@click.option("--json", "as_json", is_flag=True, help="End with one JSON line: macro_f1, accuracy, unsure_rate, "
                                                      "n_test, predictions.")
def evaluate(history: Path, test: Path, as_json: bool) -> None:
    """Learn from HISTORY, predict the category of every row of TEST, and score the predictions."""
    from cases.routing.evaluate import EvaluationError
    from cases.routing.evaluate import evaluate as run

    try:
        report = run(_rules(), history, test)
    except EvaluationError as error:
        raise click.ClickException(str(error)) from None
    start = "cold start (rules alone)" if not report.n_history else f"learned from {report.n_history} decisions"
    click.echo(f"{report.n_test} test rows, {start}")
    for label, (count, f1) in report.per_label.items():
        click.echo(f"  {label}: {count} rows, F1 {f1:.3f}")
    click.echo(f"macro-F1 {report.macro_f1:.4f}  accuracy {report.accuracy:.4f}  unsure {report.unsure_rate:.4f}")
    if as_json:
        click.echo(json.dumps(report.as_json(), ensure_ascii=False))


@routing.command("explain")
@click.argument("text")
def explain(text: str) -> None:
    """The suggestion for TEXT and the words or rules behind each part of it."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from bot import create_app
    from bot.services import services
    from cases.routing import store
    from cases.routing.engine import Engine
    from scheduler.routing import rules_loader
    from texts import routing as words

    settings = load_settings()
    svc = services(create_app(None, serving=False))
    try:
        with svc.engine.connect() as conn:
            engine = store.ENGINES.current(conn, rules_loader(settings))
    except (OperationalError, ProgrammingError):   # no database yet: the rules alone
        engine = Engine(_rules())
    finally:
        svc.dispose()
    suggestion = engine.suggest(text)
    for name, heading in words.EXPLAIN_HEADINGS.items():
        guess = getattr(suggestion, name)
        answer = guess.label or words.UNSURE
        if name == "department" and guess.label:
            answer = f"{engine.department_name(guess.label)}（{guess.label}）"
        elif name == "colour" and guess.label:
            answer = words.COLOUR_LABELS[guess.label]
        elif name == "tier" and guess.label:
            answer = f"{words.TIER_LABELS[guess.label]}（{guess.label}）"
        click.echo(words.EXPLAIN_LINE.format(heading=heading, answer=answer, confidence=guess.confidence))
        click.echo(words.EXPLAIN_EVIDENCE.format(evidence="；".join(guess.evidence)) if guess.evidence
                   else words.EXPLAIN_NO_EVIDENCE)
    click.echo(words.EXPLAIN_MODEL.format(version=suggestion.model_version))


@routing.command("retrain")
@click.option("--dry-run", is_flag=True, help="Train and judge a candidate, store nothing.")
def retrain(dry_run: bool) -> None:
    """What the scheduler does once enough decisions have arrived, now: train a candidate on all
    but the most recent decisions, judge it on those, and promote it if it is not worse."""
    from bot import create_app
    from bot.services import services
    from cases.routing import store
    from scheduler.routing import rules_loader

    svc = services(create_app(None, serving=False))
    try:
        done = store.retrain(svc.engine, rules_loader(svc.settings), svc.clock.now(),
                             after_decisions=svc.settings.routing_retrain_after_decisions, dry_run=dry_run,
                             force=True)
    finally:
        svc.dispose()
    click.echo(f"{done.decisions} decisions, the most recent {done.held_back} held back to judge the candidate")
    for name, figures in done.figures.items():
        click.echo(f"  {name}: macro-F1 candidate {figures['candidate']:.3f}, current {figures['current']:.3f}, "
                   f"rules alone {figures['rules']:.3f}")
    verdict = "would be promoted" if dry_run and done.promoted else "promoted" if done.promoted else "not promoted"
    click.echo(f"model {done.version}{' (dry run: nothing stored)' if dry_run else ''}: {verdict} ({done.reason})")

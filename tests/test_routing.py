"""The routing engine: Chinese text as it reads it, the district's rules, cold-start suggestions
with evidence, learning from decisions, ``minyi routing``, and the suggestion stored on a case."""

from __future__ import annotations

import csv
import json
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from bot.cli import main
from bot.services import services
from cases.actions import perform
from cases.routing import evaluate as evaluation
from cases.routing import rules as routing_rules
from cases.routing import store
from cases.routing.engine import Engine, learn, macro_f1
from cases.routing.model import NaiveBayes
from cases.routing.rules import RulesError
from cases.routing.text import features, fold, segment
from cases.scope import SYSTEM
from cases.status import CaseStatus, MessageKind, Tier
from cases.transitions import TransitionError
from models import Case, CaseEvent, CaseMessage, CaseSuggestion, Department, Resident, RoutingModel
from scheduler.routing import rules_loader, suggest_new_cases
from tests.support import cli_environment

DEV_SET = Path(__file__).parent / "fixtures" / "routing" / "messages-dev.csv"


@pytest.fixture(scope="module")
def rules():
    return routing_rules.load()


@pytest.fixture(scope="module")
def cold(rules):
    return Engine(rules)


# -- text --------------------------------------------------------------------------------------

def test_folding_makes_full_width_and_traditional_text_plain():
    assert fold("  ＡＢＣ１２３　小區物業亂收費  ") == "abc123 小区物业乱收费"


def test_a_phrase_counts_only_where_a_word_starts(rules):
    lexicon = routing_rules.Lexicon.build([("路灯", "城乡建设", 1.0)])
    assert [hit.phrase for hit in lexicon.hits(segment("小区的路灯坏了"))] == ["路灯"]
    assert lexicon.hits(segment("过马路灯光太暗")) == []   # 马路/灯光: no 「路灯」 in it


def test_features_are_words_and_character_pairs():
    found = features(segment("物业乱收停车费"))
    assert "w物业" in found and "w停车费" in found and "b车费" in found and "b物业" in found
    assert not any(f in found for f in ("w的", "w了"))


# -- the district's rules ------------------------------------------------------------------------

def test_the_packaged_rules_load_and_cover_the_tree(rules):
    assert len(rules.top_level) == 15 and "城乡建设" in rules.top_level
    assert set(rules.departments) == {"cg", "zj", "jt", "jy", "wj", "rs", "mz", "sthj", "scjg", "gafj"}
    phrase_classes = {path.split("/")[0] for _, path, _ in rules.category_phrases}
    assert phrase_classes == set(rules.top_level)


def _write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("phrases, rules_toml, expected", [
    ('["城乡建设/没有这一类"]\nstrong = ["路灯"]\n', "", "没有这一类"),
    ('["城乡建设"]\nstrong = "路灯"\n', "", "strong must be a list of strings"),
    ("not toml [", "", "not valid TOML"),
    ("", '[tiers.someone]\nstrong = ["请问"]\n', "valid: representative, subdistrict, department, higher_congress"),
    ("", '[colours."紫"]\nstrong = ["危险"]\n', "valid: 蓝, 黄, 红"),
    ("", '[departments.cg]\ncategories = ["城乡建设/不存在"]\n', "department cg"),
])
def test_a_bad_rules_file_is_refused_with_what_is_wrong(tmp_path, phrases, rules_toml, expected):
    with pytest.raises(RulesError, match=expected):
        routing_rules.load("", _write(tmp_path / "p.toml", phrases), _write(tmp_path / "r.toml", rules_toml))


def test_a_tree_without_its_header_is_refused(tmp_path):
    with pytest.raises(RulesError, match="header row level1"):
        routing_rules.load(_write(tmp_path / "tree.csv", "城乡建设,城乡规划\n"))


def test_a_district_tree_alone_suggests_from_its_own_names(tmp_path):
    tree = _write(tmp_path / "tree.csv", "level1,level2\n市容环境,垃圾清运\n市容环境,占道经营\n社会保障,养老保险\n")
    empty = _write(tmp_path / "empty.toml", "")
    engine = Engine(routing_rules.load(tree, empty, empty))
    assert engine.classify("小区的垃圾清运太慢").label == "市容环境"
    assert engine.classify("我的养老保险断缴了").label == "社会保障"
    assert engine.classify("今天天气不错").label is None


# -- cold-start suggestions ----------------------------------------------------------------------

@pytest.mark.parametrize("text, category, tier, department, colour", [
    ("小区东门的路灯坏了一个多月，晚上很黑。", "城乡建设", None, None, None),
    ("楼道里闻到很重的煤气味，怕是漏气了", "城乡建设", "subdistrict", None, "红"),
    ("请问灵活就业人员的养老保险怎么缴费？", "劳动和社会保障", "representative", "rs", "蓝"),
    ("楼下工地半夜还在施工，噪音扰民，根本睡不着", "环境保护", "department", "sthj", None),
    ("孩子就读的幼儿园违规收取兴趣班费用", "教育文体", "department", "jy", None),
    ("建议全省统一提高城乡居民基础养老金标准", "劳动和社会保障", "higher_congress", None, None),
    ("饭店的菜里吃出虫子，吃完全家拉肚子", "卫生计生", None, None, None),
])
def test_cold_suggestions_from_the_rules_alone(cold, text, category, tier, department, colour):
    suggestion = cold.suggest(text)
    assert suggestion.category.label.split("/")[0] == category
    assert suggestion.category.evidence and suggestion.model_version == "rules"
    if tier:
        assert suggestion.tier.label == tier
    if department:
        assert suggestion.department.label == department
    if colour:
        assert suggestion.colour.label == colour


def test_the_evidence_says_which_words_decided(cold):
    suggestion = cold.suggest("小区东门的路灯坏了一个多月")
    assert any("「路灯」" in line for line in suggestion.category.evidence)
    assert suggestion.category.label.startswith("城乡建设/城市建设和市政管理")   # as deep as a phrase says


def test_a_misspelt_message_still_finds_its_class(cold):
    assert cold.classify("小区物叶乱收停车废").label == "城乡建设"   # 物叶 for 物业, 废 for 费


def test_nothing_to_go_on_is_unsure_not_a_guess(cold):
    suggestion = cold.suggest("你好")
    assert suggestion.category.label is None and suggestion.category.confidence == 0.0
    assert suggestion.tier.label is None and suggestion.category.evidence == ()


def test_the_colour_falls_back_to_the_tiers_default_with_that_as_its_reason(cold):
    suggestion = cold.suggest("老年人办理高龄补贴需要什么材料？")
    assert suggestion.tier.label == "representative"
    assert suggestion.colour.label == "蓝" and "默认颜色" in suggestion.colour.evidence[0]


def test_the_cold_start_on_the_development_set(rules, cold):
    texts = evaluation.read_column(DEV_SET, "text")
    truth = evaluation.read_column(DEV_SET, "label")
    predicted = [cold.classify(text).label for text in texts]
    # Invented messages, so the figure is optimistic; it guards against a rule change that breaks much.
    assert macro_f1(truth, predicted) >= 0.75


# -- learning from decisions ---------------------------------------------------------------------

def test_macro_f1_counts_labels_of_the_truth_and_unsure_as_wrong():
    assert macro_f1(["a", "a", "b"], ["a", "a", "b"]) == 1.0
    assert macro_f1(["a", "b"], ["a", None]) == pytest.approx(0.5)
    assert macro_f1(["a", "a"], ["a", "c"]) == pytest.approx(2 / 3)   # c is not in the truth: no term of its own


def test_a_correction_people_keep_making_is_learned(rules, cold):
    # The rules call square dancing noise 环境保护; this district files it under 教育文体 (文化).
    text = "广场舞噪音太大了，每天晚上跳到十点"
    assert cold.classify(text).label == "环境保护"
    history = [(f"{place}的广场舞{what}", "教育文体") for place in ("翠柳路", "湖滨公园", "阳光花园", "红旗街",
                                                                  "钢城二路", "滨江苑")
               for what in ("音响声音太大", "噪音扰民", "跳到很晚", "占了停车场")]
    history += [(f"{place}的工厂排放废气，噪音也大", "环境保护") for place in ("曙光村", "新苑路", "园林路", "青山")]
    history += [(f"{place}的餐馆油烟直排，噪音扰民", "环境保护") for place in ("东湖", "南岸", "翠柳", "湖滨")]
    warm = Engine(rules, learn(rules, {"category": history}), "m1")
    guess = warm.classify(text)
    assert guess.label == "教育文体"
    assert any("以往同类决定" in line for line in guess.evidence)


def test_too_few_decisions_teach_nothing(rules):
    assert learn(rules, {"category": [("路灯坏了", "城乡建设")] * 5}) == {}


def test_a_model_is_plain_json_and_checked_when_read():
    model = NaiveBayes.train([(["w路灯", "b路灯"], "城乡建设"), (["w学校"], "教育文体")])
    data = json.loads(json.dumps(model.to_json()))
    assert NaiveBayes.from_json(data) == model
    data["log_prior"] = data["log_prior"][:1]
    with pytest.raises(ValueError, match="do not match"):
        NaiveBayes.from_json(data)


# -- minyi routing evaluate / explain --------------------------------------------------------------

def _csv(path: Path, rows: list[tuple[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(rows)
    return path


def test_evaluate_cold_prints_figures_and_ends_with_one_json_line(tmp_path):
    history = _csv(tmp_path / "h.csv", [])
    test = _csv(tmp_path / "t.csv", [("小区路灯坏了", "城乡建设"), ("学校乱收补课费", "教育文体"), ("你好", "教育文体")])
    done = CliRunner().invoke(main, ["routing", "evaluate", "--history", str(history), "--test", str(test), "--json"],
                              env=cli_environment(tmp_path / 'minyi.sqlite3'))
    assert done.exit_code == 0, done.output
    assert "cold start" in done.output
    result = json.loads(done.output.strip().splitlines()[-1])
    assert set(result) == {"macro_f1", "accuracy", "unsure_rate", "n_test", "predictions"}
    assert result["predictions"] == ["城乡建设", "教育文体", None] and result["n_test"] == 3
    assert result["accuracy"] == pytest.approx(2 / 3, abs=1e-4)
    assert result["unsure_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert result["macro_f1"] == pytest.approx((1.0 + 2 / 3) / 2, abs=1e-4)


def test_evaluate_reads_the_test_labels_only_after_predicting(rules, tmp_path, monkeypatch):
    history = _csv(tmp_path / "h.csv", [])
    test = _csv(tmp_path / "t.csv", [("小区路灯坏了", "城乡建设"), ("学校乱收补课费", "教育文体")])
    order = []
    read = evaluation.read_column
    monkeypatch.setattr(evaluation, "read_column",
                        lambda path, column: order.append(f"read {path.name} {column}") or read(path, column))
    classify = Engine.classify
    monkeypatch.setattr(Engine, "classify", lambda self, text: order.append("predict") or classify(self, text))
    evaluation.evaluate(rules, history, test)
    assert order.index("read t.csv label") > max(i for i, step in enumerate(order) if step == "predict")


@pytest.mark.parametrize("content, expected", [
    ("words,label\n路灯,城乡建设\n", "must name the columns text,label"),
    (b"\xff\xfe\x00t", "not UTF-8"),
])
def test_evaluate_refuses_a_file_it_cannot_use(tmp_path, content, expected):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content if isinstance(content, bytes) else content.encode())
    good = _csv(tmp_path / "t.csv", [("路灯坏了", "城乡建设")])
    done = CliRunner().invoke(main, ["routing", "evaluate", "--history", str(bad), "--test", str(good)],
                              env=cli_environment(tmp_path / 'minyi.sqlite3'))
    assert done.exit_code == 1 and expected in done.output and "Traceback" not in done.output


def test_explain_shows_each_answer_and_its_reasons(tmp_path):
    done = CliRunner().invoke(main, ["routing", "explain", "楼道里闻到很重的煤气味，怕是漏气了"], env=cli_environment(tmp_path / 'minyi.sqlite3'))
    assert done.exit_code == 0, done.output
    assert "类别：城乡建设" in done.output and "颜色：红色（上报）" in done.output
    assert "依据：" in done.output and "「漏气」" in done.output and "模型版本：rules" in done.output


# -- on the database -------------------------------------------------------------------------------

def _case(db, clock, text: str, **labels) -> Case:
    resident = Resident(openid=f"o-routing-{db.scalar(select(Resident.id).order_by(Resident.id.desc())) or 0}",
                        created_at=clock.now())
    db.add(resident)
    db.flush()
    labels.setdefault("status", CaseStatus.SUBMITTED)
    case = Case(resident_id=resident.id, summary=text[:200], created_at=clock.now(), updated_at=clock.now(),
                last_message_at=clock.now(), **labels)
    db.add(case)
    db.flush()
    db.add(CaseMessage(case_id=case.id, kind=MessageKind.TEXT, content=text, created_at=clock.now()))
    db.commit()
    return case


def test_a_case_is_suggested_for_once_its_text_is_complete(app, db, clock):
    case = _case(db, clock, "小区东门的路灯坏了一个多月")
    svc = services(app)
    assert suggest_new_cases(svc, clock.now()) == 0   # the resident may still add to it
    clock.advance(minutes=10)
    assert suggest_new_cases(svc, clock.now()) == 1
    assert suggest_new_cases(svc, clock.now()) == 0   # once
    db.rollback()
    stored = db.scalars(select(CaseSuggestion).where(CaseSuggestion.case_id == case.id)).one()
    assert stored.model_version == "rules" and stored.category.startswith("城乡建设")
    assert any("「路灯」" in line for line in stored.detail["category"]["evidence"])
    assert db.get(Case, case.id).category is None   # a suggestion is not a decision


def test_classifying_records_a_persons_choice_apart_from_the_suggestion(app, db, clock):
    case = _case(db, clock, "广场舞噪音太大")
    with services(app).engine.begin() as conn:
        perform(conn, case.id, "classify", SYSTEM, clock.now(), category="教育文体/文化/群众文化", colour="黄",
                tier=Tier.SUBDISTRICT)
        with pytest.raises(TransitionError, match="valid: 蓝, 黄, 红"):
            perform(conn, case.id, "classify", SYSTEM, clock.now(), colour="紫")
    db.rollback()
    saved = db.get(Case, case.id)
    assert (saved.category, saved.colour, saved.tier, saved.status) == ("教育文体/文化/群众文化", "黄", Tier.SUBDISTRICT,
                                                                          CaseStatus.SUBMITTED)
    [event] = db.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)).all()
    assert event.note == "层级：街道社区办理；类别：教育文体/文化/群众文化；颜色：黄色（协办）"


def test_retraining_judges_a_candidate_on_recent_decisions_and_keeps_its_figures(app, db, clock):
    db.add(Department(district_id=_district_id(db), code="sthj", name="市生态环境局示例区分局"))
    db.commit()
    rows = list(zip(evaluation.read_column(DEV_SET, "text"), evaluation.read_column(DEV_SET, "label"),
                    strict=True))[:120]
    for text, label in rows:
        _case(db, clock, text, category=label)
    svc = services(app)
    load = rules_loader(svc.settings)
    assert store.retrain(svc.engine, load, clock.now(), after_decisions=500) is None   # not enough new ones
    dry = store.retrain(svc.engine, load, clock.now(), after_decisions=500, dry_run=True, force=True)
    assert dry.decisions == 120 and dry.held_back == 24
    db.rollback()
    assert db.scalars(select(RoutingModel)).all() == []   # a dry run stores nothing
    done = store.retrain(svc.engine, load, clock.now(), after_decisions=100)
    figures = done.figures["category"]
    assert set(figures) == {"candidate", "current", "rules"}
    assert done.promoted == (figures["candidate"] >= max(figures["current"], figures["rules"]))
    db.rollback()
    [model] = db.scalars(select(RoutingModel)).all()
    assert (model.version, model.decisions, model.held_back, model.promoted, model.active) == \
        (done.version, 120, 24, done.promoted, done.promoted)
    if done.promoted:
        assert set(model.heads) == {"category"} and "weights" in model.heads["category"]["model"]
        clock.advance(minutes=10)
        case = _case(db, clock, "附近工厂偷排污水，河水发臭")
        clock.advance(minutes=10)
        suggest_new_cases(svc, clock.now())
        db.rollback()
        assert db.scalars(select(CaseSuggestion.model_version).where(CaseSuggestion.case_id == case.id)).one() \
            == done.version
    assert store.retrain(svc.engine, load, clock.now(), after_decisions=100) is None   # nothing new since


def _district_id(db) -> int:
    from models import District

    district = db.scalars(select(District)).first()
    if district is None:
        district = District(code="demo", name="示例区")
        db.add(district)
        db.flush()
    return district.id


def test_the_new_case_notice_carries_the_suggestion_only_after_the_window(app, db, clock):
    from cases.actions import case_facts
    from cases.notices import new_case

    case = _case(db, clock, "小区东门的路灯坏了一个多月")
    clock.advance(minutes=10)
    suggest_new_cases(services(app), clock.now())
    with services(app).engine.connect() as conn:
        facts = case_facts(conn, case.id)
    facts = type(facts)(**{**facts.__dict__, "representative_openid": "o-rep"})
    notice = new_case(facts, clock.now() - timedelta(minutes=10))
    assert "系统建议：" in notice.text and "「路灯」" in notice.text


# -- related cases -----------------------------------------------------------------------------------

def test_related_cases_rank_the_same_problem_first_and_leave_out_unrelated_ones():
    from cases.routing.related import Reported, rank

    target = Reported(1, "翠柳路18号门口的路灯坏了，晚上一片漆黑", (30.5612, 114.3105))
    candidates = [
        Reported(2, "翠柳路路灯坏了好几天，晚上出门看不见", None),
        Reported(3, "学校门口早上堵车太严重", None),
        Reported(4, "这里下水道堵了，污水漫到路上", (30.5620, 114.3105)),    # about 90 m away
        Reported(5, "垃圾桶满了没人清", (30.5700, 114.3105)),             # about 1 km away
        Reported(6, "小区的路灯一直不亮，老人晚上摔了一跤", None),
    ]
    ranked = rank(target, candidates)
    assert [r.case_id for r in ranked][:1] == [2]
    assert {r.case_id for r in ranked} == {2, 4, 6}
    near = next(r for r in ranked if r.case_id == 4)
    assert near.distance_m == pytest.approx(89, abs=3) and near.similarity < 0.12
    assert "路灯" in ranked[0].shared


def test_related_cases_stay_within_the_sub_district_and_open_cases(app, db, clock, district):
    from cases.routing.related import related_cases

    east, west = district["sub_districts"]["east"].id, district["sub_districts"]["west"].id
    target = _case(db, clock, "翠柳路的路灯坏了，晚上很黑", sub_district_id=east)
    same = _case(db, clock, "翠柳路路灯坏了一周了，晚上很黑", sub_district_id=east)
    _case(db, clock, "翠柳路的路灯坏了，晚上很黑！", sub_district_id=west)
    _case(db, clock, "翠柳路路灯坏了，晚上很黑啊", sub_district_id=east, status=CaseStatus.CLOSED)
    with services(app).engine.connect() as conn:
        found = related_cases(conn, target.id, clock.now())
    assert [(r.case_id, r.number) for r in found] == [(same.id, same.number)]
    assert found[0].summary.startswith("翠柳路路灯")


def test_related_cases_compare_the_words_each_suggestion_kept(app, db, clock, district):
    from cases.routing.related import related_cases
    from cases.routing.text import terms_of

    east = district["sub_districts"]["east"].id
    target = _case(db, clock, "翠柳路的路灯坏了，晚上很黑", sub_district_id=east)
    same = _case(db, clock, "翠柳路路灯坏了一周了，晚上很黑", sub_district_id=east)
    clock.advance(minutes=10)
    suggest_new_cases(services(app), clock.now())
    kept = db.scalar(select(CaseSuggestion.terms).where(CaseSuggestion.case_id == same.id))
    assert frozenset(kept.split(" ")) == terms_of("翠柳路路灯坏了一周了，晚上很黑")
    with services(app).engine.begin() as conn:
        # what is compared is the kept words, not the text cut again
        conn.execute(update(CaseSuggestion).where(CaseSuggestion.case_id == same.id).values(terms="w学校 b学校"))
        assert related_cases(conn, target.id, clock.now()) == []


def test_kept_words_are_read_once_per_database(app, db, clock, district):
    """A suggestion is written once, so its words are read once per process and database (a page
    compares hundreds of candidates): an engine on another database reads its own."""
    from bot.db import make_engine
    from cases.routing.related import related_cases

    east = district["sub_districts"]["east"].id
    target = _case(db, clock, "翠柳路的路灯坏了，晚上很黑", sub_district_id=east)
    same = _case(db, clock, "翠柳路路灯坏了一周了，晚上很黑", sub_district_id=east)
    clock.advance(minutes=10)
    suggest_new_cases(services(app), clock.now())
    engine = services(app).engine
    with engine.begin() as conn:
        assert [r.case_id for r in related_cases(conn, target.id, clock.now())] == [same.id]
        conn.execute(update(CaseSuggestion).where(CaseSuggestion.case_id == same.id).values(terms="w学校 b学校"))
    with engine.connect() as conn:      # held from the first reading
        assert [r.case_id for r in related_cases(conn, target.id, clock.now())] == [same.id]
    other = make_engine(engine.url.render_as_string(hide_password=False))
    try:
        with other.connect() as conn:   # another engine, as for another database: read anew
            assert related_cases(conn, target.id, clock.now()) == []
    finally:
        other.dispose()

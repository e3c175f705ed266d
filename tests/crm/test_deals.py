"""The pipeline: positions persist set-based, stale edits are refused, Won records a conversion."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.crm import selectors, services
from apps.crm.models import Activity, ConversionEvent, Deal, PipelineStage


@pytest.fixture
def stages(in_acme):
    return {s.name: s for s in PipelineStage.objects.all()}


def _column(stage) -> list[str]:
    return list(Deal.objects.alive().filter(stage=stage).order_by("position", "id").values_list("title", flat=True))


def _positions(stage) -> list[int]:
    return list(Deal.objects.alive().filter(stage=stage).order_by("position", "id").values_list("position", flat=True))


def _deals(stage, *titles):
    return [services.deal_create(title=t, stage=stage) for t in titles]


def test_deal_create__no_stage__end_of_first_open_stage(stages):
    a, b = _deals(None, "A", "B")

    assert (a.stage.name, a.position, b.position) == ("New", 0, 1)


def test_deal_move__within_stage__others_shift_and_positions_stay_dense(stages):
    new = stages["New"]
    *_, d = _deals(new, "A", "B", "C", "D")

    services.deal_move(deal=d, stage=new, position=1, version=d.version)

    assert _column(new) == ["A", "D", "B", "C"]
    assert _positions(new) == [0, 1, 2, 3]


def test_deal_move__to_other_stage__inserted_there_and_gap_closed(stages):
    new, qualified = stages["New"], stages["Qualified"]
    b = _deals(new, "A", "B", "C")[1]
    _deals(qualified, "X", "Y")

    moved = services.deal_move(deal=b, stage=qualified, position=1, version=1)

    assert _column(new) == ["A", "C"]
    assert _positions(new) == [0, 1]
    assert _column(qualified) == ["X", "B", "Y"]
    assert _positions(qualified) == [0, 1, 2]
    assert moved.stage_id == qualified.pk
    assert Deal.objects.get(pk=b.pk).version == 2
    assert Activity.objects.filter(deal=b, kind="stage_change").get().metadata["to"] == "Qualified"


def test_deal_move__position_past_the_end__placed_last(stages):
    new, proposal = stages["New"], stages["Proposal"]
    a = _deals(new, "A")[0]
    _deals(proposal, "P1", "P2")

    services.deal_move(deal=a, stage=proposal, position=99, version=a.version)

    assert _column(proposal) == ["P1", "P2", "A"]
    assert _positions(proposal) == [0, 1, 2]


def test_deal_move__renumbering__set_based_not_per_row(stages):
    new, qualified = stages["New"], stages["Qualified"]
    deals = _deals(new, *[f"D{i}" for i in range(30)])
    _deals(qualified, *[f"Q{i}" for i in range(30)])

    with CaptureQueriesContext(connection) as ctx:
        services.deal_move(deal=deals[0], stage=qualified, position=0, version=deals[0].version)

    updates = [q["sql"] for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith(("UPDATE", "WITH"))]
    assert len(updates) <= 5, updates  # version bump, two renumbers, closed_at — not 60 saves
    assert _positions(qualified) == list(range(31))


def test_deal_move__stale_version__refused_and_nothing_moves(stages):
    new, won = stages["New"], stages["Won"]
    deal = _deals(new, "A")[0]
    services.deal_update(deal=deal, version=1, title="A (edited)")

    with pytest.raises(services.StaleVersion) as exc:
        services.deal_move(deal=deal, stage=won, position=0, version=1)

    assert "changed by someone else" in exc.value.message
    assert exc.value.current_version == 2
    assert Deal.objects.get(pk=deal.pk).stage_id == new.pk
    assert not ConversionEvent.objects.exists()


def test_deal_move__to_won__conversion_event_with_value_and_time(stages):
    deal = services.deal_create(title="Big one", stage=stages["Negotiation"], value="12500.00", currency="EUR")

    services.deal_move(deal=deal, stage=stages["Won"], position=0, version=deal.version)

    event = ConversionEvent.objects.get()
    assert (event.deal_id, str(event.value), event.currency, event.stage_name) == (deal.pk, "12500.00", "EUR", "Won")
    assert event.occurred_at is not None
    assert Deal.objects.get(pk=deal.pk).closed_at is not None


def test_deal_move__won_to_won_reorder__no_second_conversion(stages):
    won = stages["Won"]
    a, b = _deals(stages["New"], "A", "B")
    a = services.deal_move(deal=a, stage=won, position=0, version=a.version)
    b = services.deal_move(deal=b, stage=won, position=0, version=b.version)

    services.deal_move(deal=a, stage=won, position=0, version=a.version)

    assert ConversionEvent.objects.count() == 2
    assert _column(won) == ["A", "B"]


def test_deal_update__stale_version__refused_never_overwritten(stages):
    deal = _deals(stages["New"], "Original")[0]
    services.deal_update(deal=deal, version=1, title="First edit")

    with pytest.raises(services.StaleVersion):
        services.deal_update(deal=deal, version=1, title="Second edit from an old page")

    assert Deal.objects.get(pk=deal.pk).title == "First edit"


def test_deal_update__without_version__validation_error(stages):
    deal = _deals(stages["New"], "A")[0]

    with pytest.raises(ValidationError) as exc:
        services.deal_update(deal=deal, version=None, title="B")

    assert "version" in exc.value.message_dict


def test_deal_update__stage_change__end_of_new_stage(stages):
    a = _deals(stages["New"], "A", "B")[0]
    _deals(stages["Proposal"], "P")

    services.deal_update(deal=a, version=a.version, stage=stages["Proposal"].pk, value="10.50")

    assert _column(stages["Proposal"]) == ["P", "A"]
    assert _positions(stages["New"]) == [0]
    assert str(Deal.objects.get(pk=a.pk).value) == "10.50"


@pytest.mark.parametrize(
    ("field", "value"),
    [("value", "-1"), ("value", "1.234"), ("currency", "euro"), ("expected_close_date", "next week")],
)
def test_deal_create__bad_value__validation_error(stages, field, value):
    with pytest.raises(ValidationError) as exc:
        services.deal_create(title="A", **{field: value})

    assert field in exc.value.message_dict


def test_lead_convert__lead__becomes_a_deal_in_place(stages):
    lead = services.deal_create(title="Maybe", kind="lead", stage=stages["New"])

    deal = services.lead_convert(lead=lead, version=lead.version)

    assert (deal.kind, deal.stage_id, deal.position) == ("deal", stages["New"].pk, 0)
    assert [d.title for d in selectors.deal_list(filters={"kind": "lead"})] == []


def test_pipeline_board__stages_in_order_with_cards_counts_and_totals(stages):
    services.deal_create(title="A", stage=stages["New"], value="100")
    services.deal_create(title="B", stage=stages["New"], value="50")
    services.deal_create(title="C", stage=stages["Won"], value="7")

    board = selectors.pipeline_board(per_stage=1)

    assert [c.stage.name for c in board] == ["New", "Qualified", "Proposal", "Negotiation", "Won", "Lost"]
    assert [d.title for d in board[0].deals] == ["A"]  # limited per stage
    assert (board[0].count, str(board[0].total_value)) == (2, "150.00")
    assert board[4].count == 1


def test_stage_delete__deals_move_to_the_end_of_the_other_stage(stages):
    _deals(stages["Qualified"], "Q1", "Q2")
    _deals(stages["Proposal"], "P1")

    moved = services.stage_delete(stage=stages["Qualified"], move_to=stages["Proposal"])

    assert moved == 2
    assert _column(stages["Proposal"]) == ["P1", "Q1", "Q2"]
    assert [s.position for s in selectors.pipeline_stages()] == [0, 1, 2, 3, 4]


def test_stage_update__last_open_stage_to_won__refused(in_acme):
    stages = PipelineStage.objects.all()
    for stage in stages.filter(kind="open").order_by("position")[1:]:
        services.stage_update(stage=stage, kind="lost")

    with pytest.raises(ValidationError) as exc:
        services.stage_update(stage=stages.get(name="New"), kind="won")

    assert "at least one open stage" in exc.value.message_dict["kind"][0]


def test_stage_create__duplicate_name__refused(in_acme):
    with pytest.raises(ValidationError):
        services.stage_create(name="new")

"""The decision function, on plain objects (no database): every branch of the decision order,
explanations, prerequisites, grant expiry and rollout stickiness."""

from __future__ import annotations

import dataclasses

import pytest

from apps.entitlements import engine
from apps.entitlements.engine import NEVER, Context, FeatureState, decide, explain, rollout_bucket

NOW = 1_800_000_000.0
PAST = NOW - 60
FUTURE = NOW + 3600

USER, TENANT, PARTNER, PLAN = 11, 21, 31, 41
KEY = "crm.kanban"
# Tenant ids whose sticky bucket for KEY is below 20 / at least 60 (see test_rollout_bucket__pinned_values).
TENANT_IN_20 = 7
TENANT_OUT_60 = 12

MEMBER = Context(user_id=USER, tenant_id=TENANT, partner_id=PARTNER, plan_id=PLAN)
STAFF = Context(user_id=USER, tenant_id=TENANT, partner_id=PARTNER, plan_id=PLAN, alpha=True)
NO_TENANT = Context(user_id=USER)


def F(stage="beta", **kw) -> FeatureState:
    return FeatureState(key=kw.pop("key", KEY), stage=stage, **kw)


# (id, feature, context, expected on, expected rule) — one row per branch of the decision order.
TABLE = [
    ("unknown key", None, STAFF, False, engine.UNKNOWN),
    ("1 kill switch beats GA", F("ga", killed=True), MEMBER, False, engine.KILLED),
    ("1 kill switch beats the alpha guard", F("alpha", killed=True), STAFF, False, engine.KILLED),
    (
        "1 kill switch beats an ON override",
        F("beta", killed=True, overrides={TENANT: True}),
        MEMBER,
        False,
        engine.KILLED,
    ),
    ("2 retired beats the alpha guard", F("retired"), STAFF, False, engine.RETIRED_RULE),
    ("2 retired beats a grant", F("retired", users={USER: NEVER}), MEMBER, False, engine.RETIRED_RULE),
    ("3 alpha guard at alpha", F("alpha"), STAFF, True, engine.ALPHA_GUARD),
    ("3 alpha guard at beta without grant", F("beta"), STAFF, True, engine.ALPHA_GUARD),
    ("3 alpha guard beats an OFF override", F("ga", overrides={TENANT: False}), STAFF, True, engine.ALPHA_GUARD),
    ("4 OFF override opts a tenant out of GA", F("ga", overrides={TENANT: False}), MEMBER, False, engine.OVERRIDE_OFF),
    ("4 ON override opens beta", F("beta", overrides={TENANT: True}), MEMBER, True, engine.OVERRIDE_ON),
    (
        "4 OFF override beats a tenant grant",
        F("beta", tenants={TENANT: NEVER}, overrides={TENANT: False}),
        MEMBER,
        False,
        engine.OVERRIDE_OFF,
    ),
    ("4 ON override does not open alpha", F("alpha", overrides={TENANT: True}), MEMBER, False, engine.ALPHA_ONLY),
    (
        "4 another tenant's override does not apply",
        F("ga", overrides={TENANT + 1: False}),
        MEMBER,
        True,
        engine.GA_RULE,
    ),
    ("5 GA", F("ga"), MEMBER, True, engine.GA_RULE),
    ("5 GA without any user or tenant", F("ga"), Context(), True, engine.GA_RULE),
    ("6 beta: user grant", F(users={USER: NEVER}), MEMBER, True, engine.GRANT_USER),
    ("6 beta: tenant grant", F(tenants={TENANT: FUTURE}), MEMBER, True, engine.GRANT_TENANT),
    ("6 beta: partner grant", F(partners={PARTNER: NEVER}), MEMBER, True, engine.GRANT_PARTNER),
    ("6 beta: plan-tier grant", F(plans={PLAN: NEVER}), MEMBER, True, engine.GRANT_TIER),
    (
        "6 beta: user grant wins over tenant grant",
        F(users={USER: NEVER}, tenants={TENANT: NEVER}),
        MEMBER,
        True,
        engine.GRANT_USER,
    ),
    ("6 beta: expired user grant", F(users={USER: PAST}), MEMBER, False, engine.BETA_NOT_GRANTED),
    ("6 beta: expired tenant grant", F(tenants={TENANT: PAST}), MEMBER, False, engine.BETA_NOT_GRANTED),
    ("6 beta: grant to another user", F(users={USER + 1: NEVER}), MEMBER, False, engine.BETA_NOT_GRANTED),
    ("6 beta: grant to another plan", F(plans={PLAN + 1: NEVER}), MEMBER, False, engine.BETA_NOT_GRANTED),
    (
        "6 beta: inside the rollout",
        F(rollout=20),
        Context(user_id=USER, tenant_id=TENANT_IN_20),
        True,
        engine.ROLLOUT,
    ),
    (
        "6 beta: outside the rollout",
        F(rollout=60),
        Context(user_id=USER, tenant_id=TENANT_OUT_60),
        False,
        engine.BETA_NOT_GRANTED,
    ),
    ("6 beta: rollout 100 % covers every tenant", F(rollout=100), MEMBER, True, engine.ROLLOUT),
    ("6 beta: rollout needs a tenant", F(rollout=100), NO_TENANT, False, engine.BETA_NOT_GRANTED),
    ("6 beta: nothing matches", F("beta"), MEMBER, False, engine.BETA_NOT_GRANTED),
    ("7 alpha for everyone else", F("alpha", users={USER: NEVER}), MEMBER, False, engine.ALPHA_ONLY),
    ("7 alpha for the anonymous", F("alpha"), Context(), False, engine.ALPHA_ONLY),
]


@pytest.mark.parametrize(("feature", "ctx", "on", "rule"), [row[1:] for row in TABLE], ids=[row[0] for row in TABLE])
def test_decide__decision_table__expected_state_and_rule(feature, ctx, on, rule):
    features = {feature.key: feature} if feature else {}

    result = decide(feature, ctx, features, NOW)

    assert result[0] is on
    assert result[1] == rule


def test_decide__table__covers_every_rule_but_prerequisites():
    # The prerequisite rule has its own tests below; every other rule appears in the table.
    covered = {row[4] for row in TABLE}
    assert covered == set(engine.RULES) - {engine.PREREQUISITE_OFF}


# --------------------------------------------------------------------------- prerequisites


@pytest.mark.parametrize(
    ("base", "ctx", "on", "rule"),
    [
        (F("ga", key="crm"), MEMBER, True, engine.GA_RULE),
        (F("beta", key="crm"), MEMBER, False, engine.PREREQUISITE_OFF),
        (F("ga", key="crm", killed=True), STAFF, False, engine.PREREQUISITE_OFF),
        (F("ga", key="crm", overrides={TENANT: False}), MEMBER, False, engine.PREREQUISITE_OFF),
        (F("alpha", key="crm"), STAFF, True, engine.ALPHA_GUARD),
    ],
    ids=[
        "prerequisite on",
        "prerequisite beta, not granted",
        "prerequisite killed, even for staff",
        "prerequisite overridden off",
        "staff see both",
    ],
)
def test_decide__prerequisite__must_also_be_on(base, ctx, on, rule):
    dependent = F("ga", key=KEY, prerequisites=("crm",))
    if ctx.alpha:
        dependent = F("alpha", key=KEY, prerequisites=("crm",))
    features = {"crm": base, KEY: dependent}

    result = decide(dependent, ctx, features, NOW)

    assert result[:2] == (on, rule)
    if rule == engine.PREREQUISITE_OFF:
        assert result[2] == "crm"


def test_decide__unknown_prerequisite__off_naming_it():
    dependent = F("ga", prerequisites=("billing.v2",))

    assert decide(dependent, MEMBER, {KEY: dependent}, NOW) == (False, engine.PREREQUISITE_OFF, "billing.v2")


def test_decide__prerequisite_chain__each_link_checked():
    a, b, c = F("ga", key="a"), F("ga", key="b", prerequisites=("a",)), F("ga", key="c", prerequisites=("b",))
    features = {"a": a, "b": b, "c": c}
    assert decide(c, MEMBER, features, NOW)[0] is True

    a.killed = True

    assert decide(c, MEMBER, features, NOW) == (False, engine.PREREQUISITE_OFF, "b")


def test_decide__prerequisite_cycle_in_raw_data__off_without_recursion_error():
    a, b = F("ga", key="a", prerequisites=("b",)), F("ga", key="b", prerequisites=("a",))

    assert decide(a, MEMBER, {"a": a, "b": b}, NOW)[0] is False


# --------------------------------------------------------------------------- expiry


def test_decide__grant_expiry__on_before_and_off_after():
    feature = F(tenants={TENANT: NOW + 10})

    assert decide(feature, MEMBER, {KEY: feature}, NOW + 9.9)[1] == engine.GRANT_TENANT
    assert decide(feature, MEMBER, {KEY: feature}, NOW + 10)[1] == engine.BETA_NOT_GRANTED


# --------------------------------------------------------------------------- rollout


def test_rollout_bucket__pinned_values__stable_across_processes_and_releases():
    # Changing the hash would reshuffle which tenants are in a running beta.
    assert rollout_bucket("crm.kanban", 42) == 58
    assert rollout_bucket("quanttrade", 1) == 86
    assert rollout_bucket(KEY, TENANT_IN_20) < 20
    assert rollout_bucket(KEY, TENANT_OUT_60) >= 60


def test_rollout__percentage_grows__tenants_keep_their_answer():
    tenants = range(1, 2001)

    def on_at(pct: int) -> set[int]:
        feature = F(rollout=pct)
        return {t for t in tenants if decide(feature, Context(tenant_id=t), {KEY: feature}, NOW)[0]}

    at_20, at_40, at_100 = on_at(20), on_at(40), on_at(100)

    assert at_20 < at_40 < at_100  # every tenant ON at 20 % stays ON at 40 %
    assert len(at_100) == 2000
    assert 300 < len(at_20) < 500  # about 20 % of 2000
    assert 650 < len(at_40) < 950


def test_rollout__different_features__independent_buckets():
    a = {t for t in range(1, 1001) if rollout_bucket("crm.kanban", t) < 20}
    b = {t for t in range(1, 1001) if rollout_bucket("inbox.ai", t) < 20}

    assert a != b


# --------------------------------------------------------------------------- explanations


def test_explain__tenant_grant_with_expiry__names_rule_expiry_and_context():
    feature = F(tenants={TENANT: 1_900_000_000.0})
    ctx = Context(user_id=USER, tenant_id=TENANT, user_label="ann@acme.test", tenant_label="acme")

    decision = explain(feature, KEY, ctx, {KEY: feature}, NOW)

    assert (decision.on, decision.state, decision.rule) == (True, "ON", engine.GRANT_TENANT)
    assert "expires 2030-03-17" in decision.reason
    text = decision.explain()
    assert text.startswith("crm.kanban: ON — rule grant_tenant: a beta grant to the tenant")
    assert "user ann@acme.test" in text
    assert "tenant acme" in text


def test_explain__expired_grant__says_it_expired():
    feature = F(users={USER: PAST})

    decision = explain(feature, KEY, MEMBER, {KEY: feature}, NOW)

    assert decision.state == "OFF"
    assert decision.rule == engine.BETA_NOT_GRANTED
    assert "the user grant expired" in decision.reason


def test_explain__rollout__shows_bucket_and_percentage():
    feature = F(rollout=20)
    ctx = Context(tenant_id=TENANT_IN_20)

    decision = explain(feature, KEY, ctx, {KEY: feature}, NOW)

    assert decision.rule == engine.ROLLOUT
    assert f"tenant bucket {rollout_bucket(KEY, TENANT_IN_20)} < rollout 20%" in decision.reason


def test_explain__prerequisite__names_the_prerequisite():
    base, dependent = F("beta", key="crm"), F("ga", prerequisites=("crm",))

    decision = explain(dependent, KEY, MEMBER, {"crm": base, KEY: dependent}, NOW)

    assert decision.as_dict() == {
        "key": KEY,
        "enabled": False,
        "rule": engine.PREREQUISITE_OFF,
        "reason": "prerequisite crm is off",
    }


def test_explain__killed_for_staff__off_and_says_kill_switch():
    feature = F("ga", killed=True)

    decision = explain(feature, KEY, STAFF, {KEY: feature}, NOW)

    assert decision.state == "OFF"
    assert "kill switch" in decision.reason
    assert "internal staff" in decision.context.describe()


@pytest.mark.parametrize(
    "feature", [row[1] for row in TABLE if row[1] is not None], ids=[row[0] for row in TABLE if row[1]]
)
@pytest.mark.parametrize("alpha", [False, True], ids=["non-staff", "staff"])
def test_feature_constant__every_table_feature__agrees_with_decide_for_every_context(feature, alpha):
    # The snapshot pre-fills answers with constant(); it must never disagree with decide().
    constant = feature.constant(alpha)
    bases = [MEMBER, NO_TENANT, Context(), Context(tenant_id=TENANT_IN_20), Context(tenant_id=TENANT_OUT_60)]
    contexts = [dataclasses.replace(ctx, alpha=alpha) for ctx in bases]

    answers = {decide(feature, ctx, {feature.key: feature}, NOW)[0] for ctx in contexts}

    if constant is not None:
        assert answers == {constant}


def test_feature_constant__context_dependent_features__none():
    assert F("ga", overrides={TENANT: False}).constant(False) is None
    assert F("ga", prerequisites=("crm",)).constant(False) is None
    assert F("ga", prerequisites=("crm",)).constant(True) is None
    assert F("beta").constant(False) is None
    assert (F("ga").constant(False), F("ga").constant(True)) == (True, True)
    assert (F("alpha").constant(False), F("alpha").constant(True)) == (False, True)
    assert (F("beta").constant(True), F("alpha", killed=True).constant(True)) == (True, False)

"""The decision function of the Unified Entitlement Engine: pure Python over the snapshot's plain
objects, no database, no cache, no Django settings — so it is fast and can be tested by a table.

Decision order (the first rule that applies decides):

1. kill switch on                → OFF for everyone, staff included          (``killed``)
2. stage retired                 → OFF                                      (``retired``)
3. alpha guard: internal staff   → ON at every stage                         (``alpha_guard``)
   (emails in UEE_ALPHA_EMAILS, plus super admins; decided when the context is built)
4. tenant override               → its value                                 (``override_on`` / ``override_off``)
   except that an ON override does not open an *alpha* feature: alpha is visible only through
   the alpha guard (rule 7), so it falls through to ``alpha_only``
5. stage GA                      → ON                                        (``ga``)
6. stage beta → ON for a live (unexpired) grant matching, in this order, the user, the tenant,
   the tenant's partner or the tenant's plan tier                            (``grant_user`` … ``grant_tier``)
   else ON if the tenant is inside the rollout percentage                    (``rollout``)
   else OFF                                                                 (``beta_not_granted``)
7. otherwise (alpha)             → OFF                                       (``alpha_only``)

A feature that would be ON is still OFF when one of its prerequisites is OFF for the same
context (``prerequisite_off``, naming the prerequisite). A key the snapshot does not know is OFF
(``unknown``): unreleased features are never revealed by accident.

Rollout is sticky: a tenant's bucket is a hash of the feature key and the tenant id (0–99), and
it is ON when ``bucket < percentage``, so a tenant ON at 20 % stays ON at 40 %.
"""

from __future__ import annotations

import hashlib
import sys
import time
from dataclasses import dataclass, field

ALPHA, BETA, GA, RETIRED = "alpha", "beta", "ga", "retired"

# Rule codes (stable: they appear in the API, the CLI and the admin preview).
UNKNOWN = "unknown"
KILLED = "killed"
RETIRED_RULE = "retired"
ALPHA_GUARD = "alpha_guard"
OVERRIDE_ON = "override_on"
OVERRIDE_OFF = "override_off"
GA_RULE = "ga"
GRANT_USER = "grant_user"
GRANT_TENANT = "grant_tenant"
GRANT_PARTNER = "grant_partner"
GRANT_TIER = "grant_tier"
ROLLOUT = "rollout"
BETA_NOT_GRANTED = "beta_not_granted"
ALPHA_ONLY = "alpha_only"
PREREQUISITE_OFF = "prerequisite_off"

RULES: dict[str, str] = {
    UNKNOWN: "no such feature",
    KILLED: "the global kill switch is on",
    RETIRED_RULE: "the feature is retired",
    ALPHA_GUARD: "internal staff (alpha guard) see every stage",
    OVERRIDE_ON: "a tenant override turns it on",
    OVERRIDE_OFF: "a tenant override turns it off",
    GA_RULE: "generally available",
    GRANT_USER: "a beta grant to the user",
    GRANT_TENANT: "a beta grant to the tenant",
    GRANT_PARTNER: "a beta grant to the tenant's partner",
    GRANT_TIER: "a beta grant to the tenant's plan tier",
    ROLLOUT: "the tenant is inside the beta rollout percentage",
    BETA_NOT_GRANTED: "beta, with no grant for this context and outside the rollout percentage",
    ALPHA_ONLY: "alpha: visible to internal staff only",
    PREREQUISITE_OFF: "a prerequisite feature is off",
}

# Results are (on, rule, detail). The common ones are built once so a check allocates nothing.
R_UNKNOWN = (False, UNKNOWN, "")
R_KILLED = (False, KILLED, "")
R_RETIRED = (False, RETIRED_RULE, "")
R_ALPHA_GUARD = (True, ALPHA_GUARD, "")
R_OVERRIDE_ON = (True, OVERRIDE_ON, "")
R_OVERRIDE_OFF = (False, OVERRIDE_OFF, "")
R_GA = (True, GA_RULE, "")
R_GRANT_USER = (True, GRANT_USER, "")
R_GRANT_TENANT = (True, GRANT_TENANT, "")
R_GRANT_PARTNER = (True, GRANT_PARTNER, "")
R_GRANT_TIER = (True, GRANT_TIER, "")
R_ROLLOUT = (True, ROLLOUT, "")
R_BETA_NOT_GRANTED = (False, BETA_NOT_GRANTED, "")
R_ALPHA_ONLY = (False, ALPHA_ONLY, "")

NEVER = float("inf")  # expiry of a grant without an expiry date
MAX_PREREQUISITE_DEPTH = 8  # a (refused, but possible in raw data) cycle ends as OFF, not a RecursionError


def rollout_bucket(feature_key: str, tenant_id: int) -> int:
    """0–99, stable across processes and releases (not Python's salted hash())."""
    digest = hashlib.sha256(f"{feature_key}:{tenant_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 100


class FeatureState:
    """One feature as the engine sees it, with its grants and overrides folded in.

    Grants are dicts target id → expiry (epoch seconds; NEVER when none), so a check is one
    dict lookup per target kind; overrides are tenant id → bool."""

    __slots__ = (
        "_buckets",
        "id",
        "key",
        "killed",
        "name",
        "overrides",
        "partners",
        "plans",
        "prerequisites",
        "rollout",
        "stage",
        "tenants",
        "users",
    )

    def __init__(
        self,
        *,
        key: str,
        stage: str,
        killed: bool = False,
        rollout: int = 0,
        prerequisites: tuple[str, ...] = (),
        users: dict | None = None,
        tenants: dict | None = None,
        partners: dict | None = None,
        plans: dict | None = None,
        overrides: dict | None = None,
        id: int | None = None,
        name: str = "",
    ):
        self.id = id
        self.key = key
        self.name = name or key
        self.stage = sys.intern(stage)  # compared with the constants below: identity is the fast path
        self.killed = killed
        self.rollout = rollout
        self.prerequisites = tuple(prerequisites)
        self.users = users or {}
        self.tenants = tenants or {}
        self.partners = partners or {}
        self.plans = plans or {}
        self.overrides = overrides or {}
        self._buckets: dict[int, int] = {}

    def constant(self, alpha: bool) -> bool | None:
        """The answer for every context whose alpha guard is `alpha`, when it does not depend on
        anything else; None otherwise. Read off the decision order: killed and retired are OFF
        (rules 1–2); for internal staff everything else is ON unless a prerequisite decides
        (rule 3); for everyone else an alpha feature is OFF whatever its overrides (rules 4, 7)
        and GA without overrides or prerequisites is ON (rule 5). The snapshot pre-fills each
        context's answers with these; tests check them against decide() for every context."""
        if self.killed or self.stage == RETIRED:
            return False
        if alpha:
            return None if self.prerequisites else True
        if self.stage == ALPHA:
            return False
        if self.stage == GA and not self.overrides and not self.prerequisites:
            return True
        return None

    def bucket(self, tenant_id: int) -> int:
        b = self._buckets.get(tenant_id)
        if b is None:
            b = self._buckets[tenant_id] = rollout_bucket(self.key, tenant_id)
        return b

    def __repr__(self) -> str:
        return f"<FeatureState {self.key} {self.stage}{' killed' if self.killed else ''}>"


@dataclass(slots=True)
class Context:
    """Who is asking: built once per request (or task) from plain ids, never model instances.

    ``alpha`` is the alpha guard's answer for the user (internal staff). ``tenant_id`` is None
    on the platform host and in tasks without a tenant. The labels only serve explanations.
    Not frozen: a frozen dataclass's __init__ costs about a microsecond per request; treat it
    as read-only all the same."""

    user_id: int | None = None
    tenant_id: int | None = None
    partner_id: int | None = None
    plan_id: int | None = None
    alpha: bool = False
    user_label: str = field(default="", compare=False)
    tenant_label: str = field(default="", compare=False)
    plan_label: str = field(default="", compare=False)

    def describe(self) -> str:
        parts = [f"user {self.user_label or self.user_id}" if self.user_id is not None else "no user"]
        parts.append(f"tenant {self.tenant_label or self.tenant_id}" if self.tenant_id is not None else "no tenant")
        if self.plan_id is not None:
            parts.append(f"plan {self.plan_label or self.plan_id}")
        if self.partner_id is not None:
            parts.append(f"partner #{self.partner_id}")
        if self.alpha:
            parts.append("internal staff")
        return ", ".join(parts)


ANONYMOUS = Context()


def decide(
    feature: FeatureState | None, ctx: Context, features: dict, now: float, memo: dict | None = None, _depth: int = 0
) -> tuple:
    """(on, rule, detail) for one feature in one context. ``features`` maps key → FeatureState
    (for prerequisites); ``now`` is epoch seconds (grant expiry); ``memo`` (key → on), when
    given, holds prerequisites already decided for this context and receives new ones."""
    if feature is None:
        return R_UNKNOWN
    if feature.killed:
        return R_KILLED
    stage = feature.stage
    if stage == RETIRED:
        return R_RETIRED
    if ctx.alpha:
        result = R_ALPHA_GUARD
    else:
        tenant_id = ctx.tenant_id
        overrides = feature.overrides
        override = overrides.get(tenant_id) if overrides else None
        if override is not None and (override is False or stage != ALPHA):
            if not override:
                return R_OVERRIDE_OFF
            result = R_OVERRIDE_ON
        elif stage == GA:
            result = R_GA
        elif stage == BETA:
            # Empty grant dicts are skipped without a lookup: most features grant few kinds.
            users, tenants, partners, plans = feature.users, feature.tenants, feature.partners, feature.plans
            if users and users.get(ctx.user_id, 0.0) > now:
                result = R_GRANT_USER
            elif tenants and tenants.get(tenant_id, 0.0) > now:
                result = R_GRANT_TENANT
            elif partners and partners.get(ctx.partner_id, 0.0) > now:
                result = R_GRANT_PARTNER
            elif plans and plans.get(ctx.plan_id, 0.0) > now:
                result = R_GRANT_TIER
            elif tenant_id is not None and feature.rollout and feature.bucket(tenant_id) < feature.rollout:
                result = R_ROLLOUT
            else:
                return R_BETA_NOT_GRANTED
        else:
            return R_ALPHA_ONLY
    # Only ON results reach this point: they also need every prerequisite ON.
    if feature.prerequisites:
        for key in feature.prerequisites:
            if _depth >= MAX_PREREQUISITE_DEPTH:
                return (False, PREREQUISITE_OFF, key)
            on = memo.get(key) if memo is not None else None
            if on is None:
                on = decide(features.get(key), ctx, features, now, memo, _depth + 1)[0]
                if memo is not None:
                    memo[key] = on
            if not on:
                return (False, PREREQUISITE_OFF, key)
    return result


@dataclass(frozen=True, slots=True)
class Decision:
    """An explained decision: ON or OFF, the rule that decided, and for which context."""

    key: str
    on: bool
    rule: str
    detail: str
    context: Context

    @property
    def state(self) -> str:
        return "ON" if self.on else "OFF"

    @property
    def reason(self) -> str:
        text = RULES.get(self.rule, self.rule)
        if self.rule == PREREQUISITE_OFF and self.detail:
            text = f"prerequisite {self.detail} is off"
        elif self.detail:
            text = f"{text} ({self.detail})"
        return text

    def explain(self) -> str:
        return f"{self.key}: {self.state} — rule {self.rule}: {self.reason}; for {self.context.describe()}"

    def as_dict(self) -> dict:
        return {"key": self.key, "enabled": self.on, "rule": self.rule, "reason": self.reason}


def explain(feature: FeatureState | None, key: str, ctx: Context, features: dict, now: float | None = None) -> Decision:
    on, rule, detail = decide(feature, ctx, features, time.time() if now is None else now)
    if not detail and feature is not None:
        detail = _grant_detail(feature, rule, ctx, now if now is not None else time.time())
    return Decision(key=key, on=on, rule=rule, detail=detail, context=ctx)


def _grant_detail(feature: FeatureState, rule: str, ctx: Context, now: float) -> str:
    """Which grant (and until when), or which bucket, decided — for explanations only."""
    expiry = None
    if rule == GRANT_USER:
        expiry = feature.users.get(ctx.user_id)
    elif rule == GRANT_TENANT:
        expiry = feature.tenants.get(ctx.tenant_id)
    elif rule == GRANT_PARTNER:
        expiry = feature.partners.get(ctx.partner_id)
    elif rule == GRANT_TIER:
        expiry = feature.plans.get(ctx.plan_id)
    elif rule == ROLLOUT:
        return f"tenant bucket {feature.bucket(ctx.tenant_id)} < rollout {feature.rollout}%"
    elif rule == BETA_NOT_GRANTED:
        parts = []
        for kind, grants, target in (
            ("user", feature.users, ctx.user_id),
            ("tenant", feature.tenants, ctx.tenant_id),
            ("partner", feature.partners, ctx.partner_id),
            ("tier", feature.plans, ctx.plan_id),
        ):
            expired = grants.get(target)
            if expired is not None and expired <= now:
                parts.append(f"the {kind} grant expired " + time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(expired)))
        if ctx.tenant_id is not None:
            parts.append(f"tenant bucket {feature.bucket(ctx.tenant_id)} ≥ rollout {feature.rollout}%")
        return "; ".join(parts)
    if expiry is None:
        return ""
    if expiry == NEVER:
        return "no expiry"
    return "expires " + time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(expiry))

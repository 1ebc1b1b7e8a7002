"""The demo population: accounts (customers and leads) and their users, as numpy arrays.

Story accounts come first (indices 0..4, see `story.py`), then the drawn ones. Days are
offsets from the first day of the span; negative days are before it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from uptake.demo.story import (
    BURST,
    CHAMPION,
    PLAIN,
    SLUMP,
    TEAM,
    TEAM_FADE_DAYS,
    StoryPlan,
)
from uptake.demo.vocabulary import (
    CSMS,
    DEPARTMENT_SHARES,
    DEPARTMENTS,
    FEATURES,
    INDUSTRIES,
    NAME_HEADS,
    NAME_TAILS,
    PLANS,
    REGION_SHARES,
    REGIONS,
    ROLE_SHARES,
    ROLES,
    SEAT_PRICE,
    SITES,
)

# Engagement tiers: chance of being active on a weekday, and actions per active day.
TIER_NAMES = ("power", "regular", "casual", "never")
TIER_ACTIVE = np.array([0.85, 0.55, 0.2, 0.0])
TIER_ACTIONS = np.array([18.0, 8.0, 3.5, 0.0])
TIERS_LICENSED = (0.1, 0.35, 0.4, 0.15)
TIERS_UNLICENSED = (0.0, 0.1, 0.4, 0.5)
TIERS_LEAD = (0.0, 0.3, 0.5, 0.2)

TRIAL_DAYS = 21  # leads try the product for three weeks
QUIET_MEAN_DAYS = 720.0  # people leave or stop using it: exponential, mean about two years

SITE_NAMES = tuple(name for region in REGIONS for name, _ in SITES[region])
SITE_OFFSETS = np.array([off for region in REGIONS for _, off in SITES[region]])
_REGION_FIRST_SITE = np.cumsum([0] + [len(SITES[r]) for r in REGIONS])[:-1]
_REGION_SITES = np.array([len(SITES[r]) for r in REGIONS])


@dataclass(frozen=True)
class Accounts:
    """Account columns; categorical ones are codes into the vocabulary tuples."""

    account_id: list[str]
    name: list[str]
    plan: np.ndarray
    seats: np.ndarray
    created_day: np.ndarray
    started_day: np.ndarray  # NaN: a lead that never converted
    renewal_day: np.ndarray  # NaN for leads
    churned_day: np.ndarray  # NaN: still a customer
    mrr: np.ndarray
    industry: np.ndarray
    region: np.ndarray
    csm: np.ndarray
    is_lead: np.ndarray


@dataclass(frozen=True)
class Users:
    """User columns plus the hidden behaviour that drives their events."""

    user_id: list[str]
    account: np.ndarray
    created_day: np.ndarray
    licensed: np.ndarray
    department: np.ndarray
    role: np.ndarray
    site: np.ndarray
    utc_offset_hours: np.ndarray
    tier: np.ndarray
    active_chance: np.ndarray  # chance of activity on a typical weekday
    actions_per_day: np.ndarray  # mean actions on an active day
    alive_until: np.ndarray  # first day offset with no more activity (span length if none)
    churn_day: np.ndarray  # the account's churn day; +inf if none
    is_lead: np.ndarray
    story_kind: np.ndarray
    story_day: np.ndarray  # the day the user's story turns; NaN if none
    adopt_day: np.ndarray  # (users, features): first use, NaN if never in the span

    def __len__(self) -> int:
        return len(self.user_id)


def _names(rng: np.random.Generator, n: int, taken: set[str]) -> list[str]:
    pool = [f"{h} {t}" for h in NAME_HEADS for t in NAME_TAILS if f"{h} {t}" not in taken]
    order = rng.permutation(len(pool))
    # Past the pool, names repeat with a number: "Summit Labs 2".
    return [
        pool[order[i % len(pool)]] + (f" {i // len(pool) + 1}" if i >= len(pool) else "")
        for i in range(n)
    ]


def _users_per_account(
    rng: np.random.Generator, n_users: int, n_customers: int, n_leads: int
) -> np.ndarray:
    leads = rng.integers(1, 4, n_leads)
    spare = n_users - n_customers - int(leads.sum())
    if spare < 0:  # tiny populations: shrink the leads to one user each
        leads[:] = 1
        spare = n_users - n_customers - n_leads
    weights = rng.lognormal(0.0, 1.0, n_customers)
    customers = 1 + rng.multinomial(spare, weights / weights.sum())
    return np.concatenate([customers, leads])


def draw_population(
    rng: np.random.Generator, n_users: int, days: int, story: StoryPlan, release_days: np.ndarray
) -> tuple[Accounts, Users]:
    """The story accounts plus `n_users` drawn users in drawn accounts (15% leads)."""
    n_accounts = max(6, round(n_users / 9))
    n_leads = max(1, round(0.15 * n_accounts))
    n_cust = n_accounts - n_leads
    n_story = len(story.accounts)
    sizes = np.concatenate(
        [
            [len(a.departments) for a in story.accounts],
            _users_per_account(rng, n_users, n_cust, n_leads),
        ]
    ).astype(np.int64)
    total_accounts = n_story + n_accounts
    is_lead = np.zeros(total_accounts, dtype=bool)
    is_lead[n_story + n_cust :] = True

    # Customers: about half were customers before the span, the rest start during it.
    before = rng.random(n_cust) < 0.55
    started_cust = np.where(
        before, -rng.uniform(30, 700, n_cust), rng.uniform(0, days - 28, n_cust)
    )
    started = np.concatenate(
        [[a.started_day for a in story.accounts], started_cust, np.full(n_leads, np.nan)]
    )
    lead_created = rng.uniform(0, days - TRIAL_DAYS, n_leads)
    created = np.concatenate(
        [started[: n_story + n_cust] - rng.uniform(7, 90, n_story + n_cust), lead_created]
    )
    churned = np.full(total_accounts, np.nan)
    churns = np.zeros(total_accounts, dtype=bool)
    churns[n_story : n_story + n_cust] = (started_cust < -30) & (rng.random(n_cust) < 0.1)
    # Whole days: an account churns at midnight, so nothing happens on its churn day.
    churned[churns] = np.floor(rng.uniform(30, days - 14, int(churns.sum())))
    # Renewal: the first anniversary after the span (the missed one for churned accounts).
    renewal = started + 365.0 * np.ceil((days - started) / 365.0)
    renewal = np.where(churns, churned, renewal)

    story_names = {a.name for a in story.accounts}
    names = [a.name for a in story.accounts] + _names(rng, n_accounts, story_names)
    account_ids = [f"acc_{i + 1:06d}" for i in range(total_accounts)]
    plan = np.searchsorted([6, 30], sizes, side="left").clip(0, 2)
    plan = np.where(rng.random(total_accounts) < 0.15, np.minimum(plan + 1, 2), plan)
    industry = rng.integers(0, len(INDUSTRIES), total_accounts)
    region = rng.choice(len(REGIONS), total_accounts, p=REGION_SHARES)
    for i, a in enumerate(story.accounts):
        plan[i] = PLANS.index(a.plan)
        industry[i] = INDUSTRIES.index(a.industry)
        region[i] = REGIONS.index(a.region)
    csm = rng.integers(0, len(CSMS), total_accounts)

    users = _draw_users(
        rng, sizes, started, created, churned, is_lead, region, days, story, release_days
    )
    licensed_count = np.bincount(users.account, weights=users.licensed, minlength=total_accounts)
    seats = (np.ceil(licensed_count * rng.uniform(1.0, 1.25, total_accounts) / 5) * 5).clip(5)
    seats = np.where(is_lead, 0, seats).astype(np.int64)
    mrr = np.where(is_lead, 0.0, seats * np.array([SEAT_PRICE[p] for p in PLANS])[plan])
    accounts = Accounts(
        account_id=account_ids,
        name=names,
        plan=plan,
        seats=seats,
        created_day=created,
        started_day=started,
        renewal_day=renewal,
        churned_day=churned,
        mrr=mrr,
        industry=industry,
        region=region,
        csm=csm,
        is_lead=is_lead,
    )
    return accounts, users


def _draw_users(
    rng: np.random.Generator,
    sizes: np.ndarray,
    started: np.ndarray,
    created_acct: np.ndarray,
    churned: np.ndarray,
    is_lead_acct: np.ndarray,
    region: np.ndarray,
    days: int,
    story: StoryPlan,
    release_days: np.ndarray,
) -> Users:
    n = int(sizes.sum())
    account = np.repeat(np.arange(len(sizes)), sizes)
    rank = np.arange(n) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    lead = is_lead_acct[account]
    acct_start = np.where(lead, created_acct[account], started[account])
    # Most users arrive in the rollout wave; the rest are later hires.
    wave = (rng.random(n) < 0.7) | (rank == 0)
    hire = acct_start + rng.uniform(0, 1, n) * np.maximum(days - 2 - acct_start, 0)
    created = np.where(wave, acct_start + rng.exponential(10.0, n), hire)
    created = np.where(lead, acct_start + rng.uniform(0, 3, n), created)
    created = np.minimum(created, days - 2)

    licensed = ~lead & ((rank == 0) | (rng.random(n) < 0.92))
    customer_tier = np.where(
        licensed, rng.choice(4, n, p=TIERS_LICENSED), rng.choice(4, n, p=TIERS_UNLICENSED)
    )
    tier = np.where(lead, rng.choice(4, n, p=TIERS_LEAD), customer_tier)
    active_chance = TIER_ACTIVE[tier] * rng.lognormal(0.0, 0.2, n)
    actions = TIER_ACTIONS[tier] * rng.lognormal(0.0, 0.3, n)
    quiet = created + rng.exponential(QUIET_MEAN_DAYS, n)
    department = rng.choice(len(DEPARTMENTS), n, p=DEPARTMENT_SHARES)
    role = np.where(rank == 0, ROLES.index("admin"), rng.choice(len(ROLES), n, p=ROLE_SHARES))
    home = np.where(rng.random(n) < 0.8, region[account], rng.choice(len(REGIONS), n))
    site = _REGION_FIRST_SITE[home] + rng.integers(0, 1 << 30, n) % _REGION_SITES[home]

    story_kind = np.full(n, PLAIN, dtype=np.int8)
    story_day = np.full(n, np.nan)
    first = 0
    for i, acct in enumerate(story.accounts):
        rows = slice(first, first + len(acct.departments))
        first += len(acct.departments)
        department[rows] = [DEPARTMENTS.index(d) for d in acct.departments]
        licensed[rows] = True
        quiet[rows] = np.inf
        tier[rows] = TIER_NAMES.index("regular")
        active_chance[rows] = 0.6
        actions[rows] = 9.0
        match acct.role:
            case "slump":
                created[rows] = acct.started_day + rng.uniform(0, 1.5, len(acct.departments))
                active_chance[rows] = 0.8
                story_kind[rows] = SLUMP
                story_day[rows] = story.slump_days[i]
            case "champion":
                created[rows] = acct.started_day + rng.uniform(1, 60, len(acct.departments))
                story_kind[rows] = TEAM
                story_day[rows] = story.champion_quiet_day
                champion = rows.start
                story_kind[champion] = CHAMPION
                tier[champion] = TIER_NAMES.index("power")
                active_chance[champion] = 0.95
                actions[champion] = 22.0
                quiet[champion] = story.champion_quiet_day
                role[champion] = ROLES.index("manager")
            case "burst":
                created[rows] = acct.started_day + rng.uniform(1, 60, len(acct.departments))
                active_chance[rows] = 0.55
                story_kind[rows] = BURST
                story_day[rows] = story.burst_day

    churn_day = np.where(np.isnan(churned[account]), np.inf, churned[account])
    alive_until = np.minimum(np.minimum(quiet, churn_day), days)
    alive_until = np.where(lead, np.minimum(alive_until, created + TRIAL_DAYS), alive_until)
    # Seats of people gone before the span were reclaimed.
    licensed &= quiet >= 0
    # Nobody adopts a new feature after their story turned against the product.
    adopt_until = alive_until.copy()
    adopt_until = np.where(story_kind == SLUMP, np.minimum(adopt_until, story_day), adopt_until)
    adopt_until = np.where(
        story_kind == TEAM, np.minimum(adopt_until, story_day + TEAM_FADE_DAYS), adopt_until
    )
    adopt_day = np.full((n, len(FEATURES)), np.nan)
    for f, feature in enumerate(FEATURES):
        release = float(release_days[f])
        first_use = release + np.maximum(
            rng.normal(feature.adoption_mean_days, feature.adoption_sd_days, n), 0.5
        )
        # Users who arrive after the rollout find the feature on their own, soon after signup.
        late = first_use < created + 1
        first_use = np.where(
            late, created + 1 + rng.exponential(feature.adoption_sd_days, n), first_use
        )
        adopts = (
            (rng.random(n) < feature.adopter_share)
            & (tier != TIER_NAMES.index("never"))
            & (first_use < np.minimum(adopt_until, days))
        )
        adopt_day[:, f] = np.where(adopts, first_use, np.nan)

    return Users(
        user_id=[f"usr_{i + 1:07d}" for i in range(n)],
        account=account,
        created_day=created,
        licensed=licensed,
        department=department,
        role=role,
        site=site,
        utc_offset_hours=SITE_OFFSETS[site],
        tier=tier,
        active_chance=active_chance.astype(np.float32),
        actions_per_day=actions.astype(np.float32),
        alive_until=alive_until,
        churn_day=churn_day,
        is_lead=lead,
        story_kind=story_kind,
        story_day=story_day,
        adopt_day=adopt_day,
    )

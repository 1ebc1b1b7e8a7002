"""The demo's CRM vocabulary: event names, who does what, event properties, features, names.

Everything here is data; `generator.py` turns it into events. Weights are relative (they are
normalized per department), so adding an event does not require retuning the others.
"""

from __future__ import annotations

from dataclasses import dataclass

LOGIN = "login"
# Sent by the system (a digest, a reminder), not done by the user: excluded from activity.
PASSIVE = "notification_received"

# Everyday CRM actions, in a fixed order: the columns of `DEPARTMENT_MIX`.
ACTIONS: tuple[str, ...] = (
    "contact_created",
    "contact_updated",
    "opportunity_created",
    "opportunity_updated",
    "opportunity_won",
    "task_created",
    "task_completed",
    "activity_logged",
    "report_viewed",
    "report_exported",
    "dashboard_viewed",
    "chat_message_sent",
    "search_performed",
)

DEPARTMENTS: tuple[str, ...] = ("Sales", "Marketing", "Support", "Finance", "Operations", "IT")
DEPARTMENT_SHARES: tuple[float, ...] = (0.42, 0.15, 0.16, 0.07, 0.13, 0.07)

# Relative weight of each action (columns in ACTIONS order) for each department (rows).
DEPARTMENT_MIX: tuple[tuple[float, ...], ...] = (
    (8, 12, 6, 12, 1.5, 8, 7, 16, 5, 1, 6, 8, 10),  # Sales: deals and calls
    (12, 10, 1, 2, 0.2, 6, 5, 6, 12, 4, 10, 8, 8),  # Marketing: contacts and reports
    (2, 14, 0.3, 1, 0, 14, 13, 14, 3, 0.5, 4, 14, 14),  # Support: tasks, chat, search
    (1, 3, 0.5, 5, 0.6, 4, 4, 2, 16, 9, 12, 5, 6),  # Finance: reports and exports
    (3, 8, 1, 4, 0.3, 12, 11, 6, 8, 3, 8, 9, 9),  # Operations: tasks
    (1, 3, 0, 1, 0, 8, 8, 2, 6, 2, 6, 10, 10),  # IT: tasks, chat, search
)

# The burst account's mix: every department's weights times these (deals take off).
BURST_BOOST: dict[str, float] = {"opportunity_created": 3.0, "opportunity_won": 5.0}

ROLES: tuple[str, ...] = ("rep", "manager", "analyst", "admin")
ROLE_SHARES: tuple[float, ...] = (0.66, 0.2, 0.1, 0.04)

REGIONS: tuple[str, ...] = ("NA", "EMEA", "APAC")
REGION_SHARES: tuple[float, ...] = (0.5, 0.35, 0.15)

# Offices per region with their UTC offset in hours (people work local office hours).
SITES: dict[str, tuple[tuple[str, float], ...]] = {
    "NA": (("New York", -5), ("Chicago", -6), ("Austin", -6), ("Toronto", -5),
           ("San Francisco", -8)),
    "EMEA": (("London", 0), ("Berlin", 1), ("Paris", 1), ("Amsterdam", 1), ("Madrid", 1)),
    "APAC": (("Singapore", 8), ("Sydney", 10), ("Tokyo", 9), ("Bangalore", 5.5)),
}  # fmt: skip

INDUSTRIES: tuple[str, ...] = (
    "Software", "Manufacturing", "Financial Services", "Healthcare", "Retail",
    "Real Estate", "Education", "Logistics",
)  # fmt: skip

CSMS: tuple[str, ...] = ("Ada Park", "Ben Okafor", "Chloe Martin", "Diego Alvarez", "Eva Novak")

# Plans by account size; price per seat per month (USD).
PLANS: tuple[str, ...] = ("starter", "growth", "enterprise")
SEAT_PRICE: dict[str, float] = {"starter": 25.0, "growth": 49.0, "enterprise": 89.0}

NAME_HEADS: tuple[str, ...] = (
    "Acme", "Alder", "Apex", "Arbor", "Aspen", "Atlas", "Beacon", "Birch", "Bright", "Canyon",
    "Cobalt", "Copper", "Crest", "Delta", "Ember", "Falcon", "Fjord", "Global", "Golden",
    "Horizon", "Iron", "Jade", "Keystone", "Lakeside", "Maple", "Meridian", "Nimbus", "North",
    "Oak", "Orbit", "Pacific", "Pine", "Prairie", "Quarry", "Redwood", "Ridge", "Silver",
    "Sterling", "Summit", "Tidal", "Union", "Vertex", "Willow", "Zenith",
)  # fmt: skip
NAME_TAILS: tuple[str, ...] = (
    "Analytics", "Bank", "Builders", "Capital", "Clinics", "Consulting", "Dynamics",
    "Energy", "Foods", "Freight", "Group", "Health", "Holdings", "Industries", "Insurance",
    "Labs", "Logistics", "Media", "Motors", "Partners", "Pharma", "Realty", "Retail",
    "Robotics", "Software", "Systems", "Textiles", "Travel",
)  # fmt: skip


@dataclass(frozen=True)
class Choice:
    """A text property drawn from `values` with relative `weights`."""

    key: str
    values: tuple[str, ...]
    weights: tuple[float, ...]


@dataclass(frozen=True)
class Amount:
    """A money amount in USD, log-normal around `median` (spread `sigma`), rounded to 100."""

    key: str
    median: float
    sigma: float


@dataclass(frozen=True)
class Count:
    """A whole number drawn uniformly from `low` to `high` inclusive."""

    key: str
    low: int
    high: int


PropertySpec = Choice | Amount | Count

PROPERTIES: dict[str, tuple[PropertySpec, ...]] = {
    LOGIN: (Choice("platform", ("web", "desktop", "mobile"), (0.72, 0.18, 0.1)),),
    "contact_created": (Choice("source", ("manual", "import", "web_form"), (0.6, 0.25, 0.15)),),
    "opportunity_created": (Amount("amount", 12_000, 0.9),),
    "opportunity_updated": (
        Choice("stage", ("qualification", "proposal", "negotiation", "closed_lost"),
               (0.3, 0.3, 0.25, 0.15)),
    ),
    "opportunity_won": (Amount("amount", 15_000, 0.9),),
    "activity_logged": (Choice("type", ("call", "email", "meeting"), (0.4, 0.4, 0.2)),),
    "report_viewed": (
        Choice("report", ("pipeline", "forecast", "activity", "revenue"), (0.35, 0.15, 0.25, 0.25)),
    ),
    "report_exported": (Choice("format", ("csv", "xlsx", "pdf"), (0.45, 0.4, 0.15)),),
    "dashboard_viewed": (Choice("dashboard", ("sales", "team", "executive"), (0.4, 0.35, 0.25)),),
    "chat_message_sent": (Choice("channel", ("team", "direct"), (0.6, 0.4)),),
    "search_performed": (
        Choice("scope", ("contacts", "opportunities", "everything"), (0.5, 0.3, 0.2)),
    ),
    "ai_assistant_used": (
        Choice("action", ("summarize", "draft_email", "next_step"), (0.4, 0.35, 0.25)),
    ),
    "mobile_app_opened": (Choice("os", ("ios", "android"), (0.55, 0.45)),),
    "email_sequence_started": (Count("steps", 3, 7),),
    PASSIVE: (Choice("channel", ("email", "push"), (0.7, 0.3)),),
}  # fmt: skip


@dataclass(frozen=True)
class ReleasedFeature:
    """A feature released during the demo span; first use per user is bell-shaped after it.

    `released_weeks_before_end`: the release is that many weeks before the last Sunday of the
    span, on a Tuesday. First use comes `adoption_mean_days` ± `adoption_sd_days` (normal)
    after the release for the `adopter_share` of active users; afterwards a `usage_share` of
    their actions are uses of the feature.
    """

    name: str
    event: str
    released_weeks_before_end: int
    adoption_mean_days: float
    adoption_sd_days: float
    adopter_share: float
    usage_share: float
    description: str


FEATURES: tuple[ReleasedFeature, ...] = (
    ReleasedFeature("Forecasting", "forecast_viewed", 32, 42.0, 14.0, 0.7, 0.04,
                    "Pipeline forecast views"),
    ReleasedFeature("Email sequences", "email_sequence_started", 24, 35.0, 12.0, 0.5, 0.03,
                    "Automated email sequences"),
    ReleasedFeature("Mobile app", "mobile_app_opened", 16, 30.0, 10.0, 0.35, 0.05,
                    "The mobile app"),
    ReleasedFeature("AI assistant", "ai_assistant_used", 8, 28.0, 9.0, 0.6, 0.06,
                    "The AI assistant (summaries, drafts, next steps)"),
)  # fmt: skip

# Every event name the demo can emit, in code order (the generator's event codes).
EVENTS: tuple[str, ...] = (LOGIN, *ACTIONS, *(f.event for f in FEATURES), PASSIVE)
EVENT_CODE: dict[str, int] = {name: i for i, name in enumerate(EVENTS)}

# In-app "did you manage to ...?" prompts: the task survey's comment names the task.
TASKS: tuple[str, ...] = (
    "log a call", "create an opportunity", "export a report", "update a deal stage",
    "find a contact", "build a dashboard",
)  # fmt: skip
DETRACTOR_COMMENTS: tuple[str, ...] = (
    "Too many clicks to log a call", "Search is slow", "Reports are hard to find",
    "We still track deals in spreadsheets",
)  # fmt: skip
PROMOTER_COMMENTS: tuple[str, ...] = (
    "Forecasting saves me hours", "Love the mobile app", "Pipeline reviews are so much faster",
    "The AI summaries are great",
)  # fmt: skip

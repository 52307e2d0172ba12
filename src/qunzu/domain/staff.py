"""What each platform staff role may do (staff roles are separate from group roles, R-2.2-2)."""

from __future__ import annotations

from collections.abc import Collection

from qunzu.domain.accounts import StaffRole
from qunzu.errors import Forbidden

ANY_STAFF = frozenset(r.value for r in StaffRole)
# Decide manual identity verifications.
VERIFICATION_REVIEWERS = frozenset(
    {StaffRole.ADMIN.value, StaffRole.REVIEWER.value, StaffRole.COMPLIANCE_OFFICER.value}
)
# Mark a verification lapsed (R-6.1-5).
LAPSE_DECIDERS = frozenset({StaffRole.ADMIN.value, StaffRole.COMPLIANCE_OFFICER.value})
# Read the personal-data access record (R-6.2-2); revealing is for compliance officers alone.
PII_RECORD_READERS = frozenset({StaffRole.ADMIN.value, StaffRole.COMPLIANCE_OFFICER.value})
# Read the development SMS outbox (live one-time codes): administrators only.
OUTBOX_READERS = frozenset({StaffRole.ADMIN.value})
# Decide content review items, and edit the lexicon.
CONTENT_REVIEWERS = frozenset({StaffRole.ADMIN.value, StaffRole.REVIEWER.value})
# Read the review queue and lexicon, use the test tool.
CONTENT_READERS = CONTENT_REVIEWERS | {StaffRole.COMPLIANCE_OFFICER.value}
# Read the appeals queue and decide appeals (R-11-x): never the decider of what is appealed (domain/appeals.py).
APPEAL_DECIDERS = frozenset({StaffRole.ADMIN.value, StaffRole.COMPLIANCE_OFFICER.value, StaffRole.REVIEWER.value})
# Apply and lift platform measures (Art. 11 ¶1–2); the regulator role reads the records too.
MEASURE_DECIDERS = frozenset({StaffRole.ADMIN.value, StaffRole.REVIEWER.value, StaffRole.COMPLIANCE_OFFICER.value})
MEASURE_READERS = MEASURE_DECIDERS | {StaffRole.REGULATOR.value}
# Add, change, review and remove blacklist entries (Art. 11 ¶2); reviewers read them too.
BLACKLIST_KEEPERS = frozenset({StaffRole.ADMIN.value, StaffRole.COMPLIANCE_OFFICER.value})
BLACKLIST_READERS = BLACKLIST_KEEPERS | {StaffRole.REVIEWER.value}

# Handle complaint and report tickets (Art. 12): claim, release, decide.
TICKET_HANDLERS = frozenset({StaffRole.ADMIN.value, StaffRole.REVIEWER.value, StaffRole.COMPLIANCE_OFFICER.value})

# Reports to the authorities (Art. 11 ¶3, D13): build packages; read the disclosure register and download packages
# (the regulator role too); read the complaint supervision figures (Art. 12 ¶1, R-12.1-3).
REPORT_MAKERS = frozenset({StaffRole.ADMIN.value, StaffRole.COMPLIANCE_OFFICER.value})
REPORT_READERS = REPORT_MAKERS | {StaffRole.REGULATOR.value}
FIGURE_READERS = REPORT_READERS | {StaffRole.REVIEWER.value}

# Place and release legal holds (R-13.1-3); the regulator role reads them.
HOLD_KEEPERS = frozenset({StaffRole.ADMIN.value, StaffRole.COMPLIANCE_OFFICER.value})
HOLD_READERS = HOLD_KEEPERS | {StaffRole.REGULATOR.value}

# Lawful requests of an authority (R-13.1-1): record one, decide one recorded by another (four eyes,
# domain/lawful_requests.py), build and deliver the answer; the regulator role reads the list but neither records,
# decides nor answers.
LAWFUL_OFFICERS = frozenset({StaffRole.ADMIN.value, StaffRole.COMPLIANCE_OFFICER.value})
LAWFUL_READERS = LAWFUL_OFFICERS | {StaffRole.REGULATOR.value}

# Turn emergency switches on and off (R-5.1-4): administrators only, as the requirement names them — a switch stops
# every user in its scope at once. Compliance officers read the switches and their history.
EMERGENCY_OPERATORS = frozenset({StaffRole.ADMIN.value})
EMERGENCY_READERS = EMERGENCY_OPERATORS | {StaffRole.COMPLIANCE_OFFICER.value}

# Inspection (R-13.1-4): read groups, members, messages (deleted and held ones too), measures, figures and the log;
# a regulator within the scope of their access (domain/inspection.py), the others without limit. Administrators
# issue and revoke regulators' access (R-3-1).
INSPECTORS = frozenset({StaffRole.ADMIN.value, StaffRole.COMPLIANCE_OFFICER.value, StaffRole.REGULATOR.value})
REGULATOR_ISSUERS = frozenset({StaffRole.ADMIN.value})

# The review team's capacity (R-5.1-1): those who decide review items, tickets or appeals go on and off shift (the
# on-shift count is the team's capacity); they and administrators read the figures.
SHIFT_WORKERS = frozenset({StaffRole.ADMIN.value, StaffRole.REVIEWER.value, StaffRole.COMPLIANCE_OFFICER.value})
CAPACITY_READERS = SHIFT_WORKERS


def require_staff_role(role: str | None, allowed: Collection[str]) -> None:
    """Refuse (`forbidden`) unless the actor's staff role is one of `allowed`."""
    if role not in allowed:
        raise Forbidden("Your staff role may not do this", details={"required": sorted(allowed)})

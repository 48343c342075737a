"""ISO 2859-1 single sampling by attributes at general inspection level II, and its switching rules.

The tables are the standard's:

- Table 1, sample size code letters, general inspection level II (lot size → letter).
- Tables 2-A (normal) and 2-B (tightened), the single sampling master tables: letter → sample
  size, and per AQL (percent nonconforming, 0.010 … 10) an Ac/Re pair or an arrow.

Both master tables are diagonal: moving one letter down (a sample about 1.6 times larger) is the
same as moving one AQL column right (an AQL about 1.6 times larger). So a cell depends only on
``letter index + AQL index`` and each table is one short list of diagonals, below. Written that way
it can be checked line by line against the printed table instead of 256 hand-copied cells.

Arrows: "↓ use the first sampling plan below the arrow", "↑ the first above". The plan found
brings its own sample size. Where an arrow would leave the table (↑ in row A, ↓ in the last row)
the first plan the other way is used. If the sample size equals or exceeds the lot size, the
whole lot is inspected (the Ac/Re numbers still decide the lot).

Reduced inspection (Table 2-C and its switching rules) is not implemented: lots stay on normal
or tightened inspection.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from inventory.errors import ValidationFailed

# Table 1, general inspection level II: (largest lot size, code letter). The standard's first
# class is 2-8; a lot of one unit is read as class A (and, n ≥ lot, inspected whole).
_LEVEL_II = (
    (8, "A"),
    (15, "B"),
    (25, "C"),
    (50, "D"),
    (90, "E"),
    (150, "F"),
    (280, "G"),
    (500, "H"),
    (1200, "J"),
    (3200, "K"),
    (10000, "L"),
    (35000, "M"),
    (150000, "N"),
    (500000, "P"),
)
_LARGEST_LETTER = "Q"  # 500,001 and over

# Sample size per code letter (Tables 2-A and 2-B). S occurs only in Table 2-B, reached by an
# arrow below R.
SAMPLE_SIZES = {
    "A": 2,
    "B": 3,
    "C": 5,
    "D": 8,
    "E": 13,
    "F": 20,
    "G": 32,
    "H": 50,
    "J": 80,
    "K": 125,
    "L": 200,
    "M": 315,
    "N": 500,
    "P": 800,
    "Q": 1250,
    "R": 2000,
    "S": 3150,
}
_LETTERS = list(SAMPLE_SIZES)

# The AQL columns for percent nonconforming (the master tables continue with nonconformities per
# hundred units up to 1000; receiving inspects for nonconforming units, so those are left out).
AQLS = tuple(
    Decimal(a)
    for a in (
        "0.010",
        "0.015",
        "0.025",
        "0.040",
        "0.065",
        "0.10",
        "0.15",
        "0.25",
        "0.40",
        "0.65",
        "1.0",
        "1.5",
        "2.5",
        "4.0",
        "6.5",
        "10",
    )
)

UP = "up"
DOWN = "down"

# Diagonal (letter index + AQL index, A = 0, 0.010 = 0) → cell. Below the first entry every
# cell is ↓, above the last every cell is ↑.
# Table 2-A, normal: e.g. J (8) at AQL 1.0 (10) is diagonal 18 → Ac 2, Re 3.
_NORMAL = {
    14: (0, 1),
    15: UP,
    16: DOWN,
    17: (1, 2),
    18: (2, 3),
    19: (3, 4),
    20: (5, 6),
    21: (7, 8),
    22: (10, 11),
    23: (14, 15),
    24: (21, 22),
}
# Table 2-B, tightened: Ac 0 needs one letter more than normal; from Ac 1 the same sample sizes
# with smaller acceptance numbers (5 6 → 3 4, 7 8 → 5 6, 10 11 → 8 9, 14 15 → 12 13, 21 22 → 18 19).
_TIGHTENED = {
    15: (0, 1),
    16: UP,
    17: DOWN,
    18: (1, 2),
    19: (2, 3),
    20: (3, 4),
    21: (5, 6),
    22: (8, 9),
    23: (12, 13),
    24: (18, 19),
}


class Severity(StrEnum):
    NORMAL = "normal"
    TIGHTENED = "tightened"


class LotResult(StrEnum):
    ACCEPTED = "A"
    REJECTED = "R"


_TABLES = {
    Severity.NORMAL: (_NORMAL, _LETTERS[: _LETTERS.index("R") + 1]),
    Severity.TIGHTENED: (_TIGHTENED, _LETTERS),
}


@dataclass(frozen=True)
class SamplingPlan:
    lot_size: int
    severity: Severity
    aql: Decimal
    code_letter: str  # the letter Table 1 gives for the lot
    plan_letter: str  # the letter whose plan applies, after following arrows
    sample_size: int  # units to inspect: min(plan sample size, lot size)
    accept: int  # Ac: accept the lot with at most this many nonconforming units in the sample
    reject: int  # Re: reject it with this many or more
    full_inspection: bool  # the plan's sample size reached the lot size

    def decide(self, defects_found: int) -> LotResult:
        """Accept or reject the lot from the nonconforming units found in the sample."""
        if defects_found < 0 or defects_found > self.sample_size:
            raise ValidationFailed(
                "Defects found must be between 0 and the sample size.",
                errors={"defects_found": [f"Between 0 and {self.sample_size}."]},
            )
        return LotResult.ACCEPTED if defects_found <= self.accept else LotResult.REJECTED


def code_letter(lot_size: int) -> str:
    """Table 1, general inspection level II."""
    if lot_size < 1:
        raise ValueError("a lot has at least one unit")
    for largest, letter in _LEVEL_II:
        if lot_size <= largest:
            return letter
    return _LARGEST_LETTER


def lot_size_of(quantity: Decimal) -> int:
    """The lot size for a received quantity: whole units, rounded up (0.5 kg is a lot of 1)."""
    return max(1, math.ceil(quantity))


def check_aql(aql: Decimal) -> Decimal:
    """The AQL as it appears in the tables, or a 422 naming the ones there are."""
    for known in AQLS:
        if aql == known:
            return known
    raise ValidationFailed(
        f"AQL {aql} is not in the ISO 2859-1 series.",
        errors={"aql": ["One of " + ", ".join(str(a) for a in AQLS) + "."]},
    )


def _cell(diagonals: dict, diagonal: int):
    if diagonal < min(diagonals):
        return DOWN
    if diagonal > max(diagonals):
        return UP
    return diagonals[diagonal]


def master_plan(letter: str, aql: Decimal, severity: Severity) -> tuple[str, int, int]:
    """The master table's plan for a code letter and AQL: ``(plan letter, Ac, Re)``, arrows
    followed."""
    diagonals, letters = _TABLES[severity]
    column = AQLS.index(check_aql(aql))
    row = letters.index(letter)
    cell = _cell(diagonals, row + column)
    if not isinstance(cell, str):
        return letter, cell[0], cell[1]
    step = 1 if cell == DOWN else -1
    for direction in (step, -step):  # off the table's edge: the first plan the other way
        r = row + direction
        while 0 <= r < len(letters):
            found = _cell(diagonals, r + column)
            if not isinstance(found, str):
                return letters[r], found[0], found[1]
            r += direction
    raise AssertionError("every AQL column holds a plan")  # pragma: no cover


def plan_for(lot_size: int, aql: Decimal, severity: Severity = Severity.NORMAL) -> SamplingPlan:
    """The single sampling plan for a lot at general inspection level II."""
    letter = code_letter(lot_size)
    plan_letter, accept, reject = master_plan(letter, aql, Severity(severity))
    n = SAMPLE_SIZES[plan_letter]
    return SamplingPlan(
        lot_size=lot_size,
        severity=Severity(severity),
        aql=check_aql(aql),
        code_letter=letter,
        plan_letter=plan_letter,
        sample_size=min(n, lot_size),
        accept=accept,
        reject=reject,
        full_inspection=n >= lot_size,
    )


# Switching rules (ISO 2859-1, 9.3): normal → tightened when 2 of 5 or fewer consecutive lots are
# rejected on original inspection; tightened → normal when 5 consecutive lots are accepted.
# ``recent`` holds the results since the last switch, newest last, at most the last five.
WINDOW = 5


@dataclass(frozen=True)
class SwitchingState:
    severity: Severity = Severity.NORMAL
    recent: str = ""


def after_lot(state: SwitchingState, result: LotResult) -> SwitchingState:
    """The switching state once a lot's result is known. A switch starts a fresh record: the five
    accepted lots that end tightened inspection are counted from when it began."""
    recent = (state.recent + result.value)[-WINDOW:]
    if state.severity is Severity.NORMAL and recent.count(LotResult.REJECTED.value) >= 2:
        return SwitchingState(Severity.TIGHTENED, "")
    if state.severity is Severity.TIGHTENED and recent == LotResult.ACCEPTED.value * WINDOW:
        return SwitchingState(Severity.NORMAL, "")
    return SwitchingState(state.severity, recent)

"""Call taxonomy: ordered rules (pattern -> category) that decide which responders may take a call.

The shipped rules are trusted and run on Python's `re` (they use lookarounds). A user's own rules run on
RE2 (`google-re2`), whose matching time is linear in the text: no pattern a user types, such as
`^(a+)+$`, can hang an import. A pattern RE2 cannot run (lookaround, backreference) is refused when the
rules are loaded, in one line that says what to write instead.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd

from planner.errors import ScenarioError
from planner.mapping import CategoryRule

# Categories that are officer time but not demand a civilian unit could answer.
NOT_CIVILIAN_DEMAND = ("self_initiated", "admin")
OTHER = "other"

# Disposition text -> outcome hint. Derived rates beat assumed ones where the export has them.
_OUTCOME_PATTERNS = (
    ("arrest", re.compile(r"ARREST|BOOKED|CUSTODY", re.I)),
    ("citation", re.compile(r"CITATION|CITED|TICKET|SUMMONS", re.I)),
    ("referral", re.compile(r"REFERRAL|REFERRED", re.I)),
    ("report", re.compile(r"REPORT|TO BE FILED|FILED", re.I)),
)


# A user's pattern longer than this is not a rule someone typed (a pasted file, a generated monster).
MAX_USER_PATTERN_CHARS = 2000
# Memory RE2 may use to compile one user pattern; a pattern needing more is refused, not run.
_RE2_MAX_MEM = 8 << 20

# What RE2 does not run, in words a user can act on.
_UNSUPPORTED = (
    (re.compile(r"\(\?<?[=!]"), "a lookahead or lookbehind ((?=, (?!, (?<=, (?<!); put a rule for the "
                                  "exception before this one instead"),
    (re.compile(r"\\[1-9]|\(\?P=\w+\)"), "a backreference (\\1, (?P=name)); match the text itself instead"),
    (re.compile(r"\(\?>|[*+?}]\+"), "an atomic group or possessive quantifier; drop the extra +"),
)


class _Re2Error(Exception):
    """RE2 refused a pattern (the message says why)."""


def user_pattern_problem(pattern: object) -> str | None:
    """Why a user's category pattern cannot be used (one line), or None when it can.

    Patterns run on RE2, which matches in time linear in the text; what RE2 cannot run is refused here,
    at load, rather than risking a matcher that backtracks for ever on one long call type.
    """
    if not isinstance(pattern, str) or not pattern:
        return "expected a non-empty text pattern"
    if len(pattern) > MAX_USER_PATTERN_CHARS:
        return f"is {len(pattern):,} characters long; a rule pattern has at most {MAX_USER_PATTERN_CHARS:,}"
    if "\x00" in pattern:
        return "contains a NUL character"
    try:
        _compile_user(pattern)
    except _Re2Error as e:
        for rx, words in _UNSUPPORTED:
            if rx.search(pattern):
                return f"uses {words}"
        try:
            re.compile(pattern)
        except re.error as e2:
            return f"is not a valid pattern ({e2})"
        return f"cannot be run in bounded time ({e})"
    return None


def _compile_user(pattern: str):
    """A user's pattern compiled with RE2, case-insensitive; _Re2Error when RE2 refuses it."""
    try:
        import re2
    except ImportError:    # a dependency of coplan (pyproject.toml): an install that lacks it is broken
        raise ScenarioError("category rules of your own need the google-re2 package, which this installation "
                            "lacks: reinstall coplan (make run, or pip install -e .)") from None

    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False      # the reason is reported to the user, not logged to the terminal
    options.max_mem = _RE2_MAX_MEM
    try:
        return re2.compile(pattern, options)
    except re2.error as e:
        msg = e.args[0] if e.args else str(e)
        raise _Re2Error(msg.decode("utf-8", "replace") if isinstance(msg, bytes) else str(msg)) from None


def check_user_rules(rules: tuple[CategoryRule, ...], where: str = "category rule") -> None:
    """Raise ScenarioError (one line) for the first user rule whose pattern cannot be used."""
    for i, r in enumerate(rules, start=1):
        problem = user_pattern_problem(r.pattern)
        if problem:
            shown = r.pattern if len(r.pattern) <= 80 else r.pattern[:77] + "..."
            raise ScenarioError(f"{where} {i} pattern {shown!r} {problem}")


@dataclass(frozen=True)
class Taxonomy:
    """Ordered rules plus the categories they may name, with a one-line description of each.

    The first `user_rules` rules are a user's own and run on RE2 (linear-time matching); the rest are
    coplan's shipped rules and run on Python's `re`.
    """

    categories: dict[str, str]
    rules: tuple[CategoryRule, ...]
    user_rules: int = 0

    def with_user_rules(self, user_rules: tuple[CategoryRule, ...]) -> Taxonomy:
        """User rules are tried before the defaults; they may name only known categories, and their
        patterns must run on RE2 (ScenarioError, one line, otherwise)."""
        for r in user_rules:
            if r.category not in self.categories:
                raise ScenarioError(
                    f"category rule {r.pattern!r} -> {r.category!r}: unknown category; "
                    f"expected one of {list(self.categories)}")
        check_user_rules(tuple(user_rules))
        return Taxonomy(self.categories, tuple(user_rules) + self.rules, self.user_rules + len(user_rules))

    def categorise_types(self, texts: pd.Series) -> np.ndarray:
        """Category of each text (first matching rule wins; `other` when none), as an array."""
        compiled = [(_compile_user(r.pattern) if i < self.user_rules else re.compile(r.pattern, re.I), r.category)
                    for i, r in enumerate(self.rules)]
        codes, uniques = pd.factorize(texts, use_na_sentinel=False)
        cats = np.array([next((cat for rx, cat in compiled if rx.search("" if pd.isna(t) else str(t))), OTHER)
                         for t in uniques], dtype=object)
        return cats[codes]

    def categorise(self, call_type: pd.Series, description: pd.Series | None = None) -> pd.Series:
        """Category per call. Rules run once per distinct text, so a million rows cost what 200 do."""
        text = call_type.astype("string").fillna("")
        if description is not None:
            text = text + " " + description.astype("string").fillna("")
        return pd.Categorical(self.categorise_types(text), categories=list(self.categories))


def default_taxonomy() -> Taxonomy:
    """The rules shipped with coplan (planner/data/categories.toml)."""
    text = resources.files("planner").joinpath("data/categories.toml").read_text(encoding="utf-8")
    return taxonomy_from_toml(text, "categories.toml")


def taxonomy_from_toml(text: str, where: str) -> Taxonomy:
    data = tomllib.loads(text)
    cats = dict(data.get("categories", {}))
    if OTHER not in cats:
        cats[OTHER] = "Call types no rule matched"
    rules = []
    for i, r in enumerate(data.get("rule", []), start=1):
        if r.get("category") not in cats:
            raise ScenarioError(f"{where}: rule {i} names unknown category {r.get('category')!r}")
        try:
            re.compile(r["pattern"])
        except re.error as e:
            raise ScenarioError(f"{where}: rule {i} pattern is not valid ({e})") from None
        rules.append(CategoryRule(r["pattern"], r["category"]))
    return Taxonomy(cats, tuple(rules))


def outcome_hints(disposition: pd.Series) -> pd.Series:
    """Outcome named by a disposition text (arrest, citation, referral, report), or '' when none."""
    codes, uniques = pd.factorize(disposition.astype("string").fillna(""), use_na_sentinel=False)
    hints = np.array([next((name for name, rx in _OUTCOME_PATTERNS if rx.search(str(t))), "") for t in uniques],
                     dtype=object)
    return pd.Series(hints[codes], index=disposition.index, dtype="string")

"""Call taxonomy: ordered rules (pattern -> category) that decide which responders may take a call."""

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


@dataclass(frozen=True)
class Taxonomy:
    """Ordered rules plus the categories they may name, with a one-line description of each."""

    categories: dict[str, str]
    rules: tuple[CategoryRule, ...]

    def with_user_rules(self, user_rules: tuple[CategoryRule, ...]) -> Taxonomy:
        """User rules are tried before the defaults; they may name only known categories."""
        for r in user_rules:
            if r.category not in self.categories:
                raise ScenarioError(
                    f"category rule {r.pattern!r} -> {r.category!r}: unknown category; "
                    f"expected one of {list(self.categories)}")
        return Taxonomy(self.categories, tuple(user_rules) + self.rules)

    def categorise_types(self, texts: pd.Series) -> np.ndarray:
        """Category of each text (first matching rule wins; `other` when none), as an array."""
        compiled = [(re.compile(r.pattern, re.I), r.category) for r in self.rules]
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

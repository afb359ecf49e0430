"""Map whatever a member wrote in a country column onto the regional country code.

Members write names ("People's Republic of China"), demonyms ("Chinese"), alpha-2 and alpha-3
codes in any case, sports codes ("FIJ", "SAM"), old names ("Western Samoa"), group labels
("Pacific Islands") and typos. :class:`CountryResolver` reads the reference seeds
(``country_aliases.csv``, ``countries.csv``, ``country_groups.csv``) and resolves only exact
matches of the normalised text; anything else comes back unresolved with suggestions, so a typo
is reported to the member instead of being guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from pathlib import Path

from pidc.normalise import normalise_label
from pidc.reference.seeds import seed_exists, seed_path, seed_rows
from pidc.settings import SEEDS_DIR


class CodeKind(StrEnum):
    """What a regional country code stands for."""

    COUNTRY = "country"  # an ISO 3166 country
    SPECIAL = "special"  # an ICAO special code (stateless person, refugee, unknown...)
    GROUP = "group"  # a group of countries a member reports together (G_...)


COUNTRY = CodeKind.COUNTRY
SPECIAL = CodeKind.SPECIAL
GROUP = CodeKind.GROUP

SUGGESTION_LIMIT = 3
# Similarity (0-100, rapidfuzz ratio) below which a known alias is not worth suggesting.
SUGGESTION_CUTOFF = 60.0


class ReferenceSeedsMissing(FileNotFoundError):
    """A reference seed the resolver needs is not there."""


@dataclass(frozen=True)
class CountryResolution:
    """The outcome of resolving one value.

    ``code`` is an ISO 3166-1 alpha-3 code, an ICAO special (XXA, XXB, XXC, XXX) or a group
    code (G_...), or ``None`` when the value is not a known spelling; then ``suggestions``
    holds up to three (code, name) best guesses, best first.
    """

    input: str
    code: str | None
    kind: str | None
    matched_by: str | None
    suggestions: list[tuple[str, str]] = field(default_factory=list)

    @property
    def resolved(self) -> bool:
        return self.code is not None


def _read_rows(seeds_dir: Path, name: str) -> list[dict[str, str]]:
    if not seed_exists(name, seeds_dir):
        raise ReferenceSeedsMissing(
            f"reference seed {seed_path(name, seeds_dir)} is missing; "
            "run `python -m pidc.reference.build_seeds`"
        )
    return seed_rows(name, seeds_dir)


class CountryResolver:
    """Resolves country spellings through the alias seed; build with :meth:`from_seeds`."""

    def __init__(
        self,
        aliases: dict[str, tuple[str, str]],
        names: dict[str, str],
        special_codes: set[str],
    ) -> None:
        self._aliases = aliases  # alias_normalised -> (code, alias_kind)
        self._names = names  # code -> display name
        self._special_codes = special_codes
        self._alias_keys = sorted(aliases)

    @classmethod
    def from_seeds(cls, seeds_dir: Path = SEEDS_DIR) -> CountryResolver:
        """A resolver over ``seeds_dir/reference``; the project's own seeds are read once."""
        if Path(seeds_dir) == SEEDS_DIR:
            return _default_resolver()
        return cls._load(Path(seeds_dir))

    @classmethod
    def _load(cls, seeds_dir: Path) -> CountryResolver:
        names: dict[str, str] = {}
        special: set[str] = set()
        for row in _read_rows(seeds_dir, "reference/countries"):
            names[row["country_code"]] = row["country_name"]
            if row["code_kind"] != "iso":
                special.add(row["country_code"])
        for row in _read_rows(seeds_dir, "reference/country_groups"):
            names[row["group_code"]] = row["group_name"]
        aliases = {
            row["alias_normalised"]: (row["country_code"], row["alias_kind"])
            for row in _read_rows(seeds_dir, "reference/country_aliases")
        }
        return cls(aliases, names, special)

    def name(self, code: str) -> str | None:
        """The display name of a country, special or group code; ``None`` if unknown."""
        return self._names.get(code)

    def kind_of(self, code: str) -> CodeKind:
        """'group', 'special' or 'country' for a known code."""
        if code.startswith("G_"):
            return GROUP
        if code in self._special_codes:
            return SPECIAL
        return COUNTRY

    def resolve(self, text: str) -> CountryResolution:
        """Resolve ``text`` (any case, footnote markers ignored) to one code, or suggest.

        Only an exact match of the normalised text resolves: "Fijji" is unresolved, with FJI
        among its suggestions.
        """
        value = "" if text is None else str(text)
        key = normalise_label(value)
        hit = self._aliases.get(key)
        if hit is not None:
            code, matched_by = hit
            return CountryResolution(value, code, self.kind_of(code), matched_by)
        return CountryResolution(value, None, None, None, self.suggest(key))

    def suggest(self, normalised: str, limit: int = SUGGESTION_LIMIT) -> list[tuple[str, str]]:
        """Up to ``limit`` distinct (code, name) pairs whose aliases look most like the text."""
        if not normalised:
            return []
        from rapidfuzz import fuzz, process

        matches = process.extract(
            normalised,
            self._alias_keys,
            scorer=fuzz.ratio,
            limit=limit * 10,
            score_cutoff=SUGGESTION_CUTOFF,
        )
        suggestions: list[tuple[str, str]] = []
        for alias, _score, _index in matches:
            code = self._aliases[alias][0]
            if all(code != seen for seen, _ in suggestions):
                suggestions.append((code, self._names.get(code, code)))
            if len(suggestions) == limit:
                break
        return suggestions


@cache
def _default_resolver() -> CountryResolver:
    return CountryResolver._load(SEEDS_DIR)

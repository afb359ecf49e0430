"""Map a member's label in a code column ("Holiday", "HOL", "VFR") onto the regional code.

Three sources, in this order: the member's own spellings (``member_label_mappings.csv``, when the
member is known and the seed exists), the contract's own codes and labels (always, derived from
:mod:`pidc.contract`), then the generic English labels (``label_mappings.csv``, member ``*``).
Only exact matches of the normalised label resolve; anything else comes back unresolved with
suggestions, so the member is told instead of the platform guessing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from pidc.contract import Contract, load_contract
from pidc.normalise import normalise_label
from pidc.reference.seeds import seed_exists, seed_rows
from pidc.settings import SEEDS_DIR

GENERIC_MEMBER = "*"
SUGGESTION_LIMIT = 3
# Similarity (0-100, rapidfuzz ratio) below which a known label is not worth suggesting.
SUGGESTION_CUTOFF = 60.0


class UnknownCodeList(KeyError):
    """The code list named is not in the data contract."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


@dataclass(frozen=True)
class LabelResolution:
    """The outcome of resolving one label within one code list.

    ``code`` is the regional code or ``None``; ``suggestions`` holds up to three
    (code, label) best guesses when unresolved; ``matched_by`` says which source matched
    ('member', 'contract' or 'generic').
    """

    code: str | None
    suggestions: list[tuple[str, str]] = field(default_factory=list)
    matched_by: str | None = None

    @property
    def resolved(self) -> bool:
        return self.code is not None


def _read_mappings(seeds_dir: Path, name: str) -> list[dict[str, str]]:
    return seed_rows(name, seeds_dir) if seed_exists(name, seeds_dir) else []


class LabelResolver:
    """Resolves code-column labels; build with :meth:`from_seeds`."""

    def __init__(
        self,
        contract: Contract,
        generic: dict[str, dict[str, str]],
        by_member: dict[tuple[str, str], dict[str, str]],
    ) -> None:
        self._contract = contract
        self._generic = generic  # code_list -> label_normalised -> code
        self._by_member = by_member  # (member, code_list) -> label_normalised -> code
        # The contract's codes and labels, normalised: they resolve even without any seed.
        self._own: dict[str, dict[str, str]] = {}
        for name in contract.code_lists:
            own: dict[str, str] = {}
            codes = contract.codes(name)
            for code in codes:
                own.setdefault(normalise_label(code), code)
            for code, label in codes.items():
                own.setdefault(normalise_label(label), code)
            self._own[name] = own

    @classmethod
    def from_seeds(cls, seeds_dir: Path = SEEDS_DIR) -> LabelResolver:
        """A resolver over ``seeds_dir/reference``; the project's own seeds are read once.

        Missing seed files are tolerated (the contract's own codes still resolve).
        """
        if Path(seeds_dir) == SEEDS_DIR:
            return _default_resolver()
        return cls._load(Path(seeds_dir))

    @classmethod
    def _load(cls, seeds_dir: Path) -> LabelResolver:
        generic: dict[str, dict[str, str]] = defaultdict(dict)
        by_member: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
        for name in ("reference/label_mappings", "reference/member_label_mappings"):
            for row in _read_mappings(seeds_dir, name):
                member = row["member_code"].strip().upper()
                # Normalise again: a hand-edited row must still match however it was typed.
                key = normalise_label(row.get("label_normalised") or row["label"])
                if member == GENERIC_MEMBER:
                    generic[row["code_list"]].setdefault(key, row["code"])
                else:
                    by_member[(member, row["code_list"])].setdefault(key, row["code"])
        return cls(load_contract(), dict(generic), dict(by_member))

    def code_lists(self) -> list[str]:
        """Names of the contract's code lists."""
        return list(self._contract.code_lists)

    def resolve(self, code_list: str, text: str, member: str | None = None) -> LabelResolution:
        """Resolve ``text`` within ``code_list``; ``member``'s own spellings win over generic.

        Raises :class:`UnknownCodeList` when ``code_list`` is not a contract code list.
        """
        if code_list not in self._contract.code_lists:
            known = ", ".join(self._contract.code_lists)
            raise UnknownCodeList(f"unknown code list {code_list!r}; the contract has: {known}")
        key = normalise_label(text)
        if not key:
            return LabelResolution(None)
        sources = []
        if member:
            sources.append(("member", self._by_member.get((member.strip().upper(), code_list))))
        sources += [("contract", self._own[code_list]), ("generic", self._generic.get(code_list))]
        for source, mapping in sources:
            if mapping and key in mapping:
                return LabelResolution(mapping[key], matched_by=source)
        return LabelResolution(None, self._suggest(code_list, key, member))

    def _suggest(self, code_list: str, key: str, member: str | None) -> list[tuple[str, str]]:
        from rapidfuzz import fuzz, process

        labels = dict(self._generic.get(code_list, {}))
        labels.update(self._own[code_list])
        if member:
            labels.update(self._by_member.get((member.strip().upper(), code_list), {}))
        matches = process.extract(
            key, list(labels), scorer=fuzz.ratio, limit=30, score_cutoff=SUGGESTION_CUTOFF
        )
        codes = self._contract.codes(code_list)
        suggestions: list[tuple[str, str]] = []
        for label, _score, _index in matches:
            code = labels[label]
            if all(code != seen for seen, _ in suggestions):
                suggestions.append((code, codes.get(code, code)))
            if len(suggestions) == SUGGESTION_LIMIT:
                break
        return suggestions


@cache
def _default_resolver() -> LabelResolver:
    return LabelResolver._load(SEEDS_DIR)

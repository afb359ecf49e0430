"""Validate a parsed submission against the contract and the reference data, all at once.

Each cell is first resolved into a checkable form (codes through the alias and label seeds,
counts and months parsed; each distinct value once per batch), then one Great Expectations run
checks every row of the batch against its dataset's suite (the suites merged into one, see
``expectations.suites.batch_rules``), and every failure becomes a row-level problem of the file it
came from that says what is wrong and how to fix it. Nothing is guessed: a
label that does not resolve is an error with "did you mean" suggestions.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pandas as pd
import pyarrow as pa

from expectations.suites import (
    DATASET_COLUMN,
    batch_rules,
    dataset_rules,
    month_index,
    run_rules,
)
from ingestion.history import group_totals
from ingestion.messages import either, number, phrase
from ingestion.parsers.common import (
    LINEAGE,
    TEXT,
    CountError,
    ParsedReturn,
    ParsedSubmission,
    PeriodError,
    fill_defaults,
    parse_count,
    parse_period,
    rows_between,
)
from ingestion.report import (
    ERROR,
    WARNING,
    Problem,
    count_unlisted,
    keep_within,
    max_problems,
)
from pidc.contract import Column, Dataset, load_contract
from pidc.i18n import N_
from pidc.normalise import normalise_label
from pidc.reference.seeds import read_seed

TOTAL = "_T"
YES_WORDS = {"yes", "y", "true", "1", "x"}
NO_WORDS = {"no", "n", "false", "0", ""}


@dataclass
class Validated:
    """The verdict's inputs: problems found and, when there are no errors, the returns to load."""

    problems: list[Problem] = field(default_factory=list)
    returns: list[ParsedReturn] = field(default_factory=list)
    # Problems past PIDC_MAX_PROBLEMS, only counted per kind (ingestion.report.keep_within).
    unlisted: list[dict] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return any(p.severity == ERROR for p in self.problems) or any(
            entry["severity"] == ERROR for entry in self.unlisted
        )


@cache
def _reference():
    """Resolvers and code sets from the seeds (read once per process)."""
    from pidc.countries import CountryResolver
    from pidc.labels import LabelResolver

    ports = read_seed("reference/ports")
    members = read_seed("reference/members")
    settings = read_seed("reference/reporting_settings")
    countries = read_seed("reference/countries")
    groups = read_seed("reference/country_groups")
    return {
        # Country columns admit countries, ICAO specials, groups and _T (total over countries).
        "country_codes": {*countries["country_code"], *groups["group_code"], TOTAL},
        "countries": CountryResolver.from_seeds(),
        "labels": LabelResolver.from_seeds(),
        "ports": ports,
        "members": set(members["member_code"]),
        "settings": dict(zip(settings["setting"], settings["value"], strict=True)),
    }


def reporting_window(today: dt.date | None = None) -> tuple[str, str]:
    """First and last month a return may be for: the history floor up to last month.

    Months from ``earliest_history_month`` to before ``first_reporting_month`` are history (the
    back issues a national publication carries): they load into the facts like any month, but
    no return is ever expected for them, so they never count in compliance. A month that has
    not ended is never loaded (see :func:`_set_aside_future`).
    """
    today = today or dt.date.today()
    settings = _reference()["settings"]
    first = settings.get("earliest_history_month") or settings.get("first_reporting_month")
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    return first or "1990-01", last_month


def _future_rows(prepared: pd.DataFrame, last: str) -> np.ndarray:
    """Which prepared rows are for a month after ``last`` (a month that has not ended); a row
    whose month could not be read is not."""
    if "period__index" not in prepared:
        return np.zeros(len(prepared), dtype=bool)
    months = prepared["period__index"].to_numpy(dtype="float64", na_value=np.nan)
    return months > month_index(last)  # NaN (no month) compares False


def _future_summary(dataset: str, rows: pd.DataFrame, last: str, *, refused: bool) -> Problem:
    """One problem for every value of ``dataset`` in one file that is for a month after ``last``.

    A publication laid out a year per row or column can hold many such cells; listing each
    would bury the report, so they are counted, their months spanned and the first rows named.
    """
    count = len(rows)
    periods = sorted(set(rows["period__key"]))
    lines = sorted({int(r) for r in rows["source_row"]})
    listed = ", ".join(str(r) for r in lines[:5])
    if lines[5:]:
        listed = phrase(N_("{rows} and {more} more"), rows=listed, more=number(len(lines) - 5))
    # The English plural is chosen here (one value or many; French agrees for 1 and more).
    if count == 1:
        message = N_(
            "1 value for a month after {last} ({span}) was not loaded: a return can only be for "
            "a month that has ended ({where})."
        )
    elif len(periods) == 1:
        message = N_(
            "{count} values for a month after {last} ({span}) were not loaded: a return can "
            "only be for a month that has ended ({where})."
        )
    else:
        message = N_(
            "{count} values for months after {last} ({span}) were not loaded: a return can only "
            "be for a month that has ended ({where})."
        )
    fix = (
        N_(
            "Nothing else in the file could be loaded. Check the year and month; send these "
            "months' figures once the months have ended."
        )
        if refused
        else N_("Check the year and month; send these months' figures once the months have ended.")
    )
    where = phrase(N_("row {rows}") if len(lines) == 1 else N_("rows {rows}"), rows=listed)
    return Problem.of(
        ERROR if refused else WARNING,
        message,
        fix,
        {
            "count": number(count),
            "last": last,
            "span": _span(periods),
            "where": where,
        },
        dataset=dataset,
        sheet=str(rows["source_sheet"].iloc[0]),
        value=_span_text(periods),
        rule="reporting_window",
    )


def _span(periods: list[str]) -> str | dict:
    """One month, or the first to the last of ``periods``, as a message param."""
    if len(periods) == 1:
        return periods[0]
    return phrase(N_("{first} to {last}"), first=periods[0], last=periods[-1])


def _span_text(periods: list[str]) -> str:
    """The months of ``periods`` as the report's value column quotes them: 2026-11..2027-01."""
    return periods[0] if len(periods) == 1 else f"{periods[0]}..{periods[-1]}"


def _nil_returns_in_window(
    nil_returns: dict[str, set[str]], first: str, last: str
) -> tuple[dict[str, set[str]], list[Problem], dict[str, list[str]]]:
    """The nil returns of one file that lie in the reporting window, an error for each one
    before ``first`` (older than the platform keeps), and those after ``last`` by dataset.

    A nil return says "nothing happened that month": it obeys the window like a row does, so a
    month that has not ended can no more be declared nil than be reported (see
    :func:`_future_nil_summary`).
    """
    kept: dict[str, set[str]] = {}
    problems: list[Problem] = []
    future: dict[str, list[str]] = {}
    for name, periods in nil_returns.items():
        for period in sorted(periods):
            if month_index(period) < month_index(first):
                problems.append(
                    Problem.of(
                        ERROR,
                        N_(
                            "The {dataset} nil return is for {period}, before {first}, the "
                            "earliest month the platform keeps."
                        ),
                        N_("Check the year and month of the nil return."),
                        {"dataset": name, "period": period, "first": first},
                        dataset=name,
                        value=period,
                        rule="reporting_window",
                    )
                )
            elif month_index(period) > month_index(last):
                future.setdefault(name, []).append(period)
            else:
                kept.setdefault(name, set()).add(period)
    return kept, problems, future


def _future_nil_summary(name: str, periods: list[str], last: str, *, refused: bool) -> Problem:
    """One problem for the nil returns of ``name`` in one file for months after ``last``."""
    fix = (
        N_(
            "Nothing else in the file could be loaded. Check the year and month; send the nil "
            "return once the month has ended."
        )
        if refused
        else N_("Check the year and month; send the nil return once the month has ended.")
    )
    return Problem.of(
        ERROR if refused else WARNING,
        N_(
            "The {dataset} nil return for {span} was not recorded: {span} has not ended, and a "
            "return can only be for a month that has ended (the latest is {last})."
        ),
        fix,
        {"dataset": name, "span": _span(periods), "last": last},
        dataset=name,
        value=_span_text(periods),
        rule="reporting_window",
    )


def _port_code(member: str, text: str) -> tuple[str | None, list[str]]:
    ports = _reference()["ports"]
    own = ports[ports["member_code"] == member]
    wanted = normalise_label(text)
    if wanted in {"u", "unknown", "not stated"}:
        return "_U", []
    if wanted in {"t", "total", "all ports"}:
        return TOTAL, []
    for _, port in own.iterrows():
        if wanted in {normalise_label(port["port_code"]), normalise_label(port["port_name"])}:
            return port["port_code"], []
    suggestions = [f"{p.port_code} ({p.port_name})" for p in own.itertuples()]
    return None, suggestions


_BAND = re.compile(r"(\d{1,3})\s*(?:-|–|to)\s*(\d{1,3})(?:\s*years)?")
_OPEN_BAND = re.compile(r"(\d{1,3})\s*(?:\+|&\s*over|and\s*over|years\s*and\s*over|or\s*more)")


def _age_band(text) -> str | None:
    """An age band as publications write it (``05-09``, ``20 to 24``, ``65 & OVER``) as its
    code, when the age_group list has exactly that band; else None (resolved as a label)."""
    cleaned = str(text).strip().casefold()
    codes = load_contract().codes("age_group")
    if match := _BAND.fullmatch(cleaned):
        code = f"Y{int(match[1])}T{int(match[2])}"
    elif match := _OPEN_BAND.fullmatch(cleaned):
        code = f"Y_GE{int(match[1])}"
    else:
        return None
    return code if code in codes else None


def _resolve_text(column: Column, member: str, text) -> tuple[str | None, list[str], dict, str]:
    """One label of a coded column: its code (or None), suggestions, what it should be (a
    message param) and how to write it (a message template, "" when there is nothing to say)."""
    reference = _reference()
    if column.type == "country":
        as_code = str(text).strip().upper()
        outcome = reference["countries"].resolve(text)
        code = as_code if as_code in reference["country_codes"] else outcome.code
        hints = [f"{c} ({name})" for c, name in outcome.suggestions]
        what = phrase(N_("a country, nationality or country group the platform knows"))
        how = N_("Use an ISO 3166-1 alpha-3 code (e.g. FJI) or the country's English name.")
    elif column.type == "port":
        code, hints = _port_code(member, text)
        what = phrase(N_("one of {member}'s ports"), member=member)
        how = N_("Use the port's code or name from the template's notes, or _U if unknown.")
    elif column.code_list == "age_group" and (band := _age_band(text)) is not None:
        code, hints = band, []
        what, how = phrase(N_("an age group")), ""
    else:
        outcome = reference["labels"].resolve(column.code_list, text, member)
        code = outcome.code
        hints = [f"{c} ({label})" for c, label in outcome.suggestions]
        what = phrase(N_("a code of the {code_list} list"), code_list=column.code_list)
        how = N_("Use one of: {codes}.")
    return code, hints, what, how


def resolve_label(dataset: str, column: str, text, member: str) -> tuple[str | None, list[str]]:
    """The code a label of a dataset's coded column stands for, or None and suggestions.

    Declared layouts resolve their row and column labels through this, so a label a
    layout reads means exactly what it would mean in a regional template or CSV.
    """
    found = load_contract().dataset(dataset).column(column)
    code, hints, _, _ = _resolve_text(found, member, text)
    return code, hints


@functools.lru_cache(maxsize=200_000)
def _resolved(kind: str, code_list: str | None, name: str, member: str, text, _type: type):
    """:func:`_resolve_text` of one label, once per process (members repeat their labels)."""
    column = Column(name=name, type=kind, description="", code_list=code_list)
    return _resolve_text(column, member, text)


@cache
def _admissible(kind: str, code_list: str | None) -> list[str]:
    """The codes a coded column may hold, sorted (from the contract and the reference seeds)."""
    reference = _reference()
    if kind == "country":
        admissible = reference["country_codes"]
    elif kind == "port":
        ports = reference["ports"]
        # Any port code passes the set check; a port of another member never resolves above.
        admissible = [*ports["port_code"], "_U", TOTAL]
    else:
        admissible = list(load_contract().codes(code_list))
    return sorted(admissible)


def _each_once(values, read) -> list:
    """``read(value)`` for each of ``values``, computed once per distinct value (and type)."""
    seen: dict = {}
    out = []
    for value in values:
        try:
            key = (type(value), value)
            if key not in seen:
                seen[key] = read(value)
            out.append(seen[key])
        except TypeError:  # unhashable
            out.append(read(value))
    return out


def _objects(values: list) -> np.ndarray:
    """``values`` as a one-dimensional array of objects (tuples stay whole)."""
    array = np.empty(len(values), dtype=object)
    for place, value in enumerate(values):
        array[place] = value
    return array


def _constant(value: object, dtype, index: pd.Index) -> pd.Series:
    """A column of ``value`` of ``dtype`` on ``index``; a text one made by Arrow at once (pandas
    makes it value by value)."""
    if dtype == TEXT and type(value) is str:
        text = pa.repeat(pa.scalar(value, type=pa.large_string()), len(index))
        return pd.Series(pd.array(text, dtype=TEXT), index=index, copy=False)
    return pd.Series(value, index=index, dtype=dtype)


def _code_column(codes: list, inverse: np.ndarray) -> object:
    """Each row's code (``codes[inverse]``: ``codes`` are the distinct reads, text or None), as
    the text column pandas infers from a column of them, built from the distinct codes instead
    of inferred value by value. A column with no code at all is left to pandas, as before."""
    if not any(type(code) is str for code in codes) or any(
        code is not None and type(code) is not str for code in codes
    ):
        return pd.Series(_objects(codes)[inverse], dtype=object)
    distinct = pa.array(codes, type=pa.large_string())
    return pd.array(distinct.take(pa.array(inverse)), dtype=TEXT)


def _distinct_reads(
    column: pd.Series, groups: np.ndarray, read
) -> tuple[list, np.ndarray, list] | None:
    """``read(group, text)`` of each row of ``column`` (``groups``: a number per row, such as
    who sent it), computed once per distinct pair: the reads, which read is each row's (their
    positions) and the text of each read. None when some value is blank (NA) or not text: those
    columns are read row by row, each value keyed by its type (see :func:`_each_once`).
    """
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    texts = list(uniques)
    if (codes < 0).any() or any(type(text) is not str for text in texts):
        return None
    count = max(len(texts), 1)
    distinct, inverse = np.unique(groups * count + codes, return_inverse=True)
    reads, read_texts = [], []
    for pair in distinct.tolist():
        group, code = divmod(pair, count)
        reads.append(read(group, texts[code]))
        read_texts.append(texts[code])
    return reads, inverse.reshape(-1), read_texts


def _note_reads(
    notes: dict[int, dict],
    items: np.ndarray,
    name: str,
    reads: list,
    inverse: np.ndarray,
    texts: list,
) -> None:
    """:func:`_note_failures` of the rows of :func:`_distinct_reads` (``items``: each row's
    file): each file's reason for each of its values that could not be read, noted once."""
    failing = np.fromiter((why is not None for _, why in reads), dtype=bool, count=len(reads))
    if not failing.any():
        return
    rows = failing[inverse]
    for pair in np.unique(items[rows] * len(reads) + inverse[rows]).tolist():
        item, place = divmod(pair, len(reads))
        notes[item][(name, texts[place])] = reads[place][1]


def _note_failures(
    notes: dict[int, dict], items: list[int], name: str, values: list, outcomes: list
) -> None:
    """For each row whose ``outcomes`` entry is a (message, fix, params) triple (the value could
    not be read: English templates and their params), note why under its file (``items``) and its
    value, as the problem will say."""
    for item, value, outcome in zip(items, values, outcomes, strict=True):
        if outcome is not None:
            notes[item][(name, value)] = outcome


def _resolution(column: Column, member: str, text) -> tuple[str | None, tuple | None]:
    """The code of one label, and (message, fix, params) when it does not resolve."""
    try:
        found = _resolved(column.type, column.code_list, column.name, member, text, type(text))
    except TypeError:  # a value that cannot be a cache key
        found = _resolve_text(column, member, text)
    code, hints, what, how = found
    if code is not None:
        return code, None
    blank = not str(text).strip()
    params = {"column": column.name, "value": repr(text), "what": what}
    if column.type not in ("country", "port") and how:
        params["codes"] = ", ".join(load_contract().codes(column.code_list))
    message = (
        N_("The {column} is blank.") if blank else N_("{value} is not {what}; it was not guessed.")
    )
    fix = how
    if hints and not blank and how:
        params["how"] = phrase(how, **{k: v for k, v in params.items() if k == "codes"})
        params["suggestions"] = either(hints[:3])
        fix = N_("{how} Did you mean {suggestions}?")
    return None, (message, fix, params)


def _count(text) -> tuple[int | None, tuple | None]:
    try:
        return parse_count(text), None
    except CountError as error:
        return None, (error.template, "", error.params)


def _period(text) -> tuple[tuple[int, str] | tuple[None, None], tuple | None]:
    try:
        key = parse_period(text)
        return (month_index(key), key), None
    except PeriodError as error:
        return (None, None), (error.template, "", error.params)


def _prepare(
    frame: pd.DataFrame, dataset: Dataset, members: dict[int, str], notes: dict[int, dict]
) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Add the checkable columns the suite reads to ``frame`` (the rows of one dataset from every
    file of a batch; ``__item`` says which file, ``members`` who sent it), noting per file and
    value the reasons for failures. Each distinct value of a column is read once per batch.
    """
    added: dict[str, object] = {}
    admissible: dict[str, list[str]] = {}
    items = frame["__item"].tolist()
    senders = [members[item] for item in items]
    item_numbers = frame["__item"].to_numpy(dtype="int64")
    # Who sent each row, as a number (coded columns resolve per member).
    who = sorted(set(members.values()))
    number_of = {member: place for place, member in enumerate(who)}
    sender_of_item = np.zeros(max(members, default=0) + 1, dtype="int64")
    for item, member in members.items():
        sender_of_item[item] = number_of[member]
    sender_numbers = sender_of_item[item_numbers]
    nobody = np.zeros(len(frame), dtype="int64")
    for column in dataset.columns:
        name = column.name
        if column.type in ("code", "country", "port"):
            found = _distinct_reads(
                frame[name],
                sender_numbers,
                lambda sender, text, column=column: _resolution(column, who[sender], text),
            )
            if found is not None:
                reads, inverse, texts = found
                added[f"{name}__code"] = _code_column([code for code, _ in reads], inverse)
                _note_reads(notes, item_numbers, name, reads, inverse, texts)
                admissible[name] = _admissible(column.type, column.code_list)
                continue
            values = frame[name].tolist()
            seen: dict = {}
            read = []
            for member, text in zip(senders, values, strict=True):
                try:
                    key = (member, type(text), text)
                    if key not in seen:
                        seen[key] = _resolution(column, member, text)
                    read.append(seen[key])
                except TypeError:  # unhashable
                    read.append(_resolution(column, member, text))
            added[f"{name}__code"] = pd.Series([code for code, _ in read], dtype=object)
            _note_failures(notes, items, name, values, [why for _, why in read])
            admissible[name] = _admissible(column.type, column.code_list)
        elif column.type == "count":
            found = _distinct_reads(frame[name], nobody, lambda _, text: _count(text))
            if found is not None:
                reads, inverse, texts = found
                counts = _objects([value for value, _ in reads])[inverse].tolist()
                added["count__value"] = pd.array(counts, dtype="Int64")
                _note_reads(notes, item_numbers, name, reads, inverse, texts)
                continue
            values = frame[name].tolist()
            read = _each_once(values, _count)
            added["count__value"] = pd.array([value for value, _ in read], dtype="Int64")
            _note_failures(notes, items, name, values, [why for _, why in read])
        elif column.type == "period":
            found = _distinct_reads(frame[name], nobody, lambda _, text: _period(text))
            if found is not None:
                reads, inverse, texts = found
                indexes = _objects([index for (index, _), _ in reads])[inverse].tolist()
                added["period__index"] = pd.array(indexes, dtype="Int64")
                added["period__key"] = _objects([key for (_, key), _ in reads])[inverse].tolist()
                _note_reads(notes, item_numbers, name, reads, inverse, texts)
                continue
            values = frame[name].tolist()
            read = _each_once(values, _period)
            added["period__index"] = pd.array([index for (index, _), _ in read], dtype="Int64")
            added["period__key"] = [key for (_, key), _ in read]
            _note_failures(notes, items, name, values, [why for _, why in read])
        elif column.type == "member":
            values = frame[name].tolist()
            codes = frame[name].astype(str).str.strip().str.upper()
            added["member__code"] = codes
            added["member__key"] = codes
            added["member__is_submitter"] = codes.to_numpy() == pd.Series(senders).to_numpy()
            # The suite only sees whether a row's member is the submitter; say which it is.
            for item, text in dict.fromkeys(zip(items, values, strict=True)):
                member = members[item]
                written = str(text).strip().upper()
                if not written:
                    notes[item][(name, text)] = (
                        N_("The member is blank."),
                        N_("Write your member code ({member}) in every row."),
                        {"member": member},
                    )
                elif written != member:
                    notes[item][(name, text)] = (
                        N_(
                            "The member in this row is {written}, but the file was submitted by "
                            "{member}."
                        ),
                        "",
                        {"written": written, "member": member},
                    )
        elif column.type == "boolean":
            lowered = frame[name].astype(str).str.strip().str.lower()
            added[f"{name}__value"] = lowered.map(
                lambda v: True if v in YES_WORDS else (False if v in NO_WORDS else None)
            )
        elif column.type == "text":
            added[f"{name}__value"] = frame[name].map(lambda v: str(v).strip() or None)
    extra = pd.DataFrame(
        {name: (value.to_numpy() if isinstance(value, pd.Series) else value)
         for name, value in added.items()},
        index=frame.index,
    )  # fmt: skip
    prepared = pd.concat([frame.drop(columns=list(extra.columns), errors="ignore"), extra], axis=1)
    return prepared, admissible


def _age_span(code: object) -> tuple[float, float] | None:
    """The years an SDMX age code covers (Y0T4: 0 to 4, Y_GE65: 65 and over), or None."""
    text = str(code)
    if text.startswith("Y_GE") and text[4:].isdigit():
        return float(text[4:]), float("inf")
    low, _, high = text[1:].partition("T")
    if text.startswith("Y") and low.isdigit() and high.isdigit():
        return float(low), float(high)
    return None


def _overlap(codes) -> tuple[str, str] | None:
    """Two of the age group ``codes`` that overlap (the first found), or None."""
    spans = sorted((span, code) for code in codes if (span := _age_span(code)) is not None)
    # Sorted by first year, two groups overlap only if two neighbours do.
    return next(
        (
            (spans[index - 1][1], code)
            for index, (span, code) in enumerate(spans)
            if index and span[0] <= spans[index - 1][0][1]
        ),
        None,
    )


def _overlaps(prepared: pd.DataFrame) -> bool:
    """Whether some two of the age groups of ``prepared`` overlap (in any return)."""
    if "age_group__code" not in prepared or "period__key" not in prepared:
        return False
    return _overlap(prepared["age_group__code"].dropna().unique()) is not None


def _mixed_age_bandings(prepared: pd.DataFrame, dataset: str) -> list[Problem]:
    """One error per return whose rows use two age groups that overlap (Y0T17 and Y15T19).

    The broad and the five-year age groups cannot be added up together, so a return uses one
    banding or the other (see the age_group code list).
    """
    if "age_group__code" not in prepared or "period__key" not in prepared:
        return []
    if _overlap(prepared["age_group__code"].dropna().unique()) is None:
        return []  # no two of the file's age groups overlap, so none in any one month
    problems = []
    for period, rows in prepared.groupby("period__key", sort=True):
        clash = _overlap(rows["age_group__code"].dropna().unique())
        if clash is None:
            continue
        row = rows[rows["age_group__code"] == clash[1]].iloc[0]
        problems.append(
            Problem.of(
                ERROR,
                N_(
                    "The age groups {first} and {second} overlap: the {period} return mixes "
                    "two age bandings, so its rows cannot be added up."
                ),
                N_(
                    "Use one banding for the whole return: the broad groups (Y0T17, Y18T34, "
                    "Y35T54, Y_GE55) or the five-year groups (Y0T4, Y5T9 ... Y60T64, Y_GE65)."
                ),
                {"first": clash[0], "second": clash[1], "period": period},
                dataset=dataset,
                sheet=str(row["source_sheet"]),
                row=int(row["source_row"]),
                column="age_group",
                value=str(row["age_group"]),
                rule="age_banding",
            )
        )
    return problems


def _unknown_member(member: str) -> Problem:
    return Problem.of(
        ERROR,
        N_("{member} is not a PIDC member code."),
        N_(
            "Submit from your member's folder (e.g. landing/FJI/) or pass --member with "
            "your ISO 3166-1 alpha-3 code."
        ),
        {"member": repr(member)},
        rule="member",
    )


def _loadable(prepared: pd.DataFrame, dataset: Dataset) -> pd.DataFrame:
    """The rows as the member labelled them (contract columns and lineage), with the member,
    month, count and flag as read."""
    read = {"member": "member__code", "period": "period__key", "shareable": "shareable__value"}
    columns = {}
    for column in [*dataset.column_names, *LINEAGE]:
        if column == "count" and dataset.measure:
            columns[column] = prepared["count__value"].astype("int64")
        elif column == "shareable":
            columns[column] = prepared[read[column]].astype(bool)
        elif column in read:
            columns[column] = prepared[read[column]]
        elif column in prepared:
            columns[column] = prepared[column]
        else:  # source_column: a parser with one record per row may omit it
            columns[column] = pd.Series(None, index=prepared.index, dtype=object)
    return pd.DataFrame(columns, index=prepared.index).reset_index(drop=True)


def _item_bounds(items: np.ndarray) -> dict[int, tuple[int, int]]:
    """Where each file's rows are in a batch's rows of one dataset (``items``: the file of each
    row; a file's rows are next to each other): file -> (first row, past its last row)."""
    if not len(items):
        return {}
    starts = np.flatnonzero(np.r_[True, items[1:] != items[:-1]])
    stops = np.r_[starts[1:], len(items)]
    return {
        int(items[low]): (int(low), int(high))
        for low, high in zip(starts.tolist(), stops.tolist(), strict=True)
    }


def _loadable_by_item(
    tables: dict[str, pd.DataFrame], items: set[int]
) -> dict[int, dict[str, tuple[pd.DataFrame, np.ndarray, dict[str, int] | None, tuple]]]:
    """:func:`_loadable` rows of each of ``items`` (files without errors) by dataset, built once
    per dataset from its rows in the batch (``tables``), with the month of each row, but for
    observations the total of each of the file's returns (by month), and where the rows are in
    the dataset's table of loadable rows (``ParsedReturn.source``)."""
    contract = load_contract()
    found: dict[int, dict[str, tuple]] = {}
    wanted = np.array(sorted(items), dtype="int64")
    for name, table in tables.items():
        every = table["__item"].to_numpy(dtype="int64")
        keep = np.isin(every, wanted)
        if not keep.any():
            continue
        chosen = table if keep.all() else table[keep].reset_index(drop=True)
        dataset = contract.dataset(name)
        rows = _loadable(chosen, dataset)
        bounds = _item_bounds(every[keep])
        periods = rows["period"].to_numpy(dtype=object)
        totals: list | None = None
        if name != "observations":  # as ingestion.loader.stage_accepted, which stores them
            codes, months = pd.factorize(periods)
            position = np.repeat(
                np.arange(len(bounds)), [high - low for low, high in bounds.values()]
            )
            totals = group_totals(
                rows, dataset, position * len(months) + codes, len(bounds) * len(months)
            )
            month_of = {month: code for code, month in enumerate(months.tolist())}
        for place, (item, (low, high)) in enumerate(bounds.items()):
            by_month = (
                {month: totals[place * len(month_of) + code] for month, code in month_of.items()}
                if totals is not None
                else None
            )
            found.setdefault(item, {})[name] = (
                rows_between(rows, low, high),
                periods[low:high],
                by_month,
                (rows, low, high),
            )
    return found


def _returns_of(
    rows_by_dataset: dict[str, tuple[pd.DataFrame, np.ndarray, dict[str, int] | None, tuple]],
    nil_returns: dict[str, set[str]],
) -> list[ParsedReturn]:
    """One file's returns: its rows (:func:`_loadable`) by dataset and month, and its nil
    returns; each with its total when it is known (ingestion.history.total_of)."""
    returns = []
    for name, (rows, months, totals, source) in rows_by_dataset.items():
        present = set(months)
        periods = sorted(present | nil_returns.get(name, set()))
        for period in periods:
            # The usual return: one month, every row.
            one = present == {period}
            subset = rows if one else rows[months == period].reset_index(drop=True)
            is_nil = period in nil_returns.get(name, set())
            parsed_return = ParsedReturn(name, period, is_nil, subset)
            if one:
                parsed_return.source = source
            if totals is not None:
                parsed_return.total = totals.get(period, 0)
            returns.append(parsed_return)
    return returns


def _rule_problem(row: pd.Series, rule, dataset: str, notes: dict) -> Problem:
    """The problem a failed rule makes of one prepared ``row``."""
    value = str(row[rule.column]) if rule.column else None
    if rule.message:
        message, fix, params = rule.message, rule.fix, dict(rule.params)
    else:
        message, fix, params = notes.get(
            (rule.column, row[rule.column]), (N_("The value is not valid."), "", {})
        )
        fix = fix or rule.fix
    return Problem.of(
        ERROR,
        message,
        fix,
        params,
        dataset=dataset,
        sheet=str(row["source_sheet"]),
        row=int(row["source_row"]),
        column=rule.column,
        value=value,
        rule=rule.expectation,
    )


def _check_batch(
    tables: dict[str, pd.DataFrame],
    admissible: dict[str, dict[str, list[str]]],
    first: str,
    last: str,
    outcomes: list[Validated],
    notes: dict[int, dict],
    limit: int,
) -> None:
    """Run ONE Great Expectations validation over every row of the batch (all files, all
    datasets: ``__dataset`` and ``__item`` say whose a row is; ``tables`` holds each dataset's
    rows, file after file) and hand each failure back to the file it came from, dataset by
    dataset and rule by rule in the order of each dataset's suite.
    """
    if not tables:
        return
    contract = load_contract()
    spans, columns = {}, {}
    start = 0
    for name, table in tables.items():
        spans[name] = (start, start + len(table))
        columns[name] = set(table.columns)
        start += len(table)
    own_rules = {
        name: dataset_rules(
            contract.dataset(name),
            admissible=admissible[name],
            first_period=first,
            last_period=last,
        )
        for name in tables
    }
    suite = batch_rules(own_rules, columns)
    # Great Expectations sees only what its rules read (filtering rows by dataset copies every
    # column); the problems quote the datasets' own rows (``tables``). The datasets are stacked.
    checked = [DATASET_COLUMN, "__item"]
    for rule in suite.rules:
        checked += rule.kwargs.get("column_list") or [rule.kwargs["column"]]
    checked = list(dict.fromkeys(checked))
    # The rows of a dataset that lacks a filled column (suite.fills) get its value before the
    # datasets are stacked: a column of one value per dataset, not the stacked column's cells
    # set one dataset at a time.
    dtypes = {column: next(tables[name][column].dtype for name in tables if column in columns[name])
              for column in suite.fills}  # fmt: skip
    parts = []
    for name, table in tables.items():
        part = table[[column for column in checked if column in columns[name]]]
        filled = {
            column: _constant(value, dtypes[column], part.index)
            for column, (value, lacking) in suite.fills.items()
            if name in lacking
        }
        parts.append(part.assign(**filled) if filled else part)
    combined = pd.concat(parts, ignore_index=True).reindex(columns=checked)
    combined[DATASET_COLUMN] = np.repeat(
        list(spans), [high - low for low, high in spans.values()]
    ).astype(object)
    # Counts and months as floats (NaN for none: exact for any month, and a count keeps its
    # sign): Great Expectations compares a float column at once, a nullable Int64 one value
    # by value in Python. Failures are the same rows; the problems quote the rows as read.
    for column in combined.columns:
        if isinstance(combined[column].dtype, pd.Int64Dtype):
            combined[column] = combined[column].to_numpy(dtype="float64", na_value=np.nan)
    position_of = {id(rule): position for position, rule in enumerate(suite.rules)}
    failed = {
        position_of[id(rule)]: indexes
        for rule, indexes in run_rules(combined, suite.rules, "batch_contract")
    }
    items = combined["__item"].to_numpy()
    for name, rules in suite.own.items():
        low, high = spans[name]
        table = tables[name]
        for rule, position in rules:
            if position not in failed:
                continue
            indexes = [i for i in failed[position] if low <= i < high]
            if rule.expectation == "ExpectCompoundColumnsToBeUnique" and indexes:
                # Rows whose breakdowns did not all resolve are not compared: each unresolved
                # value is an error of its own, and two different unknown labels are not the
                # same breakdown (both would otherwise read as null and "repeat" each other).
                key = [column for column in rule.kwargs["column_list"] if column != "__item"]
                resolved = combined.loc[indexes, key].notna().all(axis=1).to_numpy()
                indexes = [i for i, keep in zip(indexes, resolved, strict=True) if keep]
            # A file lists its first PIDC_MAX_PROBLEMS problems; the rest are only counted,
            # so a file of a million bad rows never builds a million problems.
            by_item: dict[int, list] = {}
            for index in indexes:
                by_item.setdefault(int(items[index]), []).append(index)
            for item, failing in by_item.items():
                room = max(0, limit - len(outcomes[item].problems))
                for place, index in enumerate(failing[: room + 1]):
                    # From the dataset's own rows: the batch's table may have widened a type.
                    row = table.iloc[index - low]
                    problem = _rule_problem(row, rule, name, notes[item])
                    if place < room:
                        outcomes[item].problems.append(problem)
                    else:
                        count_unlisted(outcomes[item].unlisted, problem, len(failing) - room)


def validate_submissions(
    batch: list[tuple[ParsedSubmission, str]], *, today: dt.date | None = None
) -> list[Validated]:
    """Validate many submissions at once; one :class:`Validated` per (parsed, member) pair.

    The rows of every file and dataset are prepared together (each distinct value read once) and
    checked in ONE Great Expectations run (its cost is per run and per expectation, not per row),
    then every failure is handed back to the file and row it came from. A file's verdict,
    problems and returns (in its own order) never depend on the other files in the batch. Each
    dataset's rows stay in one frame, file after file (a file's rows are a range of it), rather
    than a frame per file.
    """
    contract = load_contract()
    outcomes = [
        Validated(problems=list(parsed.problems), unlisted=[dict(e) for e in parsed.unlisted])
        for parsed, _ in batch
    ]
    limit = max_problems()
    first, last = reporting_window(today)
    notes: dict[int, dict] = {}
    # Each file's nil returns inside the reporting window (the others are reported, not loaded).
    nil_kept: dict[int, dict[str, set[str]]] = {}
    admissible: dict[str, dict[str, list[str]]] = {}
    members: dict[int, str] = {}
    incoming: dict[str, list[pd.DataFrame]] = {}
    for item, (parsed, member) in enumerate(batch):
        if member not in _reference()["members"]:
            outcomes[item].problems.append(_unknown_member(member))
            continue
        notes[item] = {}
        members[item] = member
        for name, frame in parsed.frames.items():
            incoming.setdefault(name, []).append((item, frame))
    # Each dataset's rows from every file are prepared at once; a file's rows are a range.
    prepared_rows: dict[str, pd.DataFrame] = {}
    bounds: dict[str, dict[int, tuple[int, int]]] = {}
    later: dict[str, np.ndarray] = {}
    mixed: set[str] = set()  # datasets in which some two age groups overlap
    for name, parts in incoming.items():
        dataset = contract.dataset(name)
        # A nil return's frame has no rows, and columns typed object: left out, as it adds no
        # row, it would make pandas turn every text column of the others into objects.
        parts = [(item, frame) for item, frame in parts if len(frame)] or parts[:1]
        frames = [frame for _, frame in parts]
        combined = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0].copy()
        combined["__item"] = np.repeat([item for item, _ in parts], [len(f) for f in frames])
        # A frame without an optional breakdown (sex, age_group) is a total over it (_T).
        combined = fill_defaults(combined.reset_index(drop=True), dataset)
        prepared, codes = _prepare(combined, dataset, members, notes)
        admissible[name] = codes
        prepared_rows[name] = prepared
        bounds[name] = _item_bounds(prepared["__item"].to_numpy())
        # Months that have not ended are never loaded (one summary per file and dataset).
        later[name] = _future_rows(prepared, last)
        if _overlaps(prepared):
            mixed.add(name)
    order: dict[str, None] = {}  # the datasets with rows to check, in the order files give them
    for item, (parsed, _) in enumerate(batch):
        if item not in members:
            continue
        kept_rows: dict[str, int] = {}
        future: list[tuple[str, pd.DataFrame]] = []
        for name in parsed.frames:
            span = bounds[name].get(item)
            if span is None:  # a file's frame with no rows at all (a nil return, say)
                kept_rows[name] = 0
                continue
            low, high = span
            if name in mixed:
                own = prepared_rows[name].iloc[low:high]
                outcomes[item].problems += _mixed_age_bandings(own, name)
            late = later[name][low:high]
            kept_rows[name] = (high - low) - int(late.sum())
            if kept_rows[name] < high - low:
                future.append((name, prepared_rows[name].iloc[low:high][late]))
        # Nil returns obey the same window as rows: none before the floor, none for a month
        # that has not ended.
        kept_nil, nil_problems, future_nil = _nil_returns_in_window(parsed.nil_returns, first, last)
        nil_kept[item] = kept_nil
        outcomes[item].problems += nil_problems
        # Months that have not ended are never loaded; one summary per dataset says so: a
        # warning, or an error when nothing else is left to load.
        nothing_left = not kept_nil and not any(kept_rows.values())
        outcomes[item].problems += [
            _future_summary(name, rows, last, refused=nothing_left) for name, rows in future
        ]
        outcomes[item].problems += [
            _future_nil_summary(name, periods, last, refused=nothing_left)
            for name, periods in future_nil.items()
        ]
        for name, count in kept_rows.items():
            if count:
                order.setdefault(name)
    tables: dict[str, pd.DataFrame] = {}
    for name in order:
        rows, late = prepared_rows[name], later[name]
        tables[name] = rows[~late].reset_index(drop=True) if late.any() else rows
    _check_batch(tables, admissible, first, last, outcomes, notes, limit)
    loading = {item for item in notes if not outcomes[item].has_errors}
    prepared_by_item = _loadable_by_item(tables, loading)
    no_rows: dict[str, pd.DataFrame] = {}  # each dataset's frame with no rows, copied per return
    for item in range(len(batch)):
        outcome = outcomes[item]
        # Two failing rules on one cell (e.g. null and not in set) say the same thing once.
        outcome.problems = keep_within(list(dict.fromkeys(outcome.problems)), outcome.unlisted)
        if item in notes and not outcome.has_errors:
            # In the file's own order of datasets, whatever the other files of the batch.
            own = prepared_by_item.get(item, {})
            own = {name: own[name] for name in batch[item][0].frames if name in own}
            outcome.returns = _returns_of(own, nil_kept[item])
            # Nil returns declared with no rows at all still need their (empty) frames' returns.
            for name, periods in nil_kept[item].items():
                if name not in prepared_by_item.get(item, {}):
                    if name not in no_rows:
                        columns = [*contract.dataset(name).column_names, *LINEAGE]
                        no_rows[name] = pd.DataFrame(columns=columns)
                    for period in sorted(periods):
                        empty = no_rows[name].copy()
                        outcome.returns.append(ParsedReturn(name, period, True, empty))
    return outcomes


def validate_submission(
    parsed: ParsedSubmission, member: str, *, today: dt.date | None = None
) -> Validated:
    """Every problem in ``parsed`` (submitted by ``member``); the returns to load if none."""
    return validate_submissions([(parsed, member)], today=today)[0]

"""The contract is the single source: its checks work and nothing generated from it drifts."""

from __future__ import annotations

import copy

import pytest
import yaml

from ingestion.raw_schema import raw_ddl, raw_tables
from pidc.contract import CONTRACT_FILE, ContractError, load_contract, parse_contract
from pidc.contract_outputs import CONTRACT_SEEDS_DIR, generated_files

DOCUMENT = yaml.safe_load(CONTRACT_FILE.read_text(encoding="utf-8"))


def test_contract_has_the_seven_regional_datasets_and_observations():
    contract = load_contract()
    assert contract.dataset_names == [
        "movements",
        "permits",
        "irregular",
        "refusals",
        "document_fraud",
        "facilitation",
        "removals",
    ]
    assert contract.observations.column_names == [
        "member",
        "period",
        "dataset",
        "topic",
        "note",
        "shareable",
    ]
    for dataset in contract.datasets.values():
        assert dataset.column_names[:2] == ["member", "period"]
        assert dataset.column_names[-1] == "count"
        assert dataset.key == dataset.column_names[:-1]


def test_movements_keep_nationality_and_residence_apart():
    codes = load_contract().codes("country_basis")
    # Departures by country of final destination are a third basis, never mixed with the two.
    assert set(codes) == {"NAT", "RES", "DST"}


def test_refusal_reasons_follow_schengen_grounds_a_to_i_plus_other():
    assert list(load_contract().codes("refusal_reason")) == [*"ABCDEFGHI", "OTH"]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["datasets"]["permits"]["columns"][0].update(type="colour"), "type 'colour'"),
        (
            lambda d: d["datasets"]["permits"]["columns"][0].update(code_list="nope"),
            "code_list 'nope'",
        ),
        (
            lambda d: d["datasets"]["permits"]["columns"][0].pop("description"),
            "needs a description",
        ),
        (lambda d: d["code_lists"]["sex"].update(allow=["_Q"]), "undeclared special codes"),
        (lambda d: d["datasets"].pop("removals"), "code_lists.dataset lists"),
        (
            lambda d: d["code_lists"]["purpose"]["codes"].update({False: "Off"}),
            "quote them in YAML",
        ),
        (lambda d: d["code_lists"]["mode"]["labels_fr"].pop("SEA"), r"missing \['SEA'\]"),
        (lambda d: d["code_lists"]["mode"]["labels_fr"].update(BUS="Bus"), r"not codes .*'BUS'"),
        (lambda d: d["code_lists"]["mode"]["labels_fr"].update(SEA="Aérien"), "also AIR's"),
        (lambda d: d["code_lists"]["direction"]["codes"].update(DEP="ARR"), "also ARR's"),
        (lambda d: d["code_lists"]["mode"].pop("description_fr"), "code_lists.mode: desc"),
        (lambda d: d["datasets"]["permits"].pop("title_fr"), "datasets.permits: title_fr"),
        (lambda d: d["datasets"]["permits"].update(description_fr=" "), "description_fr is"),
        (
            lambda d: d["datasets"]["permits"]["columns"][0].pop("description_fr"),
            "permits.permit_type: description_fr is missing",
        ),
        (lambda d: d["observations"].pop("title_fr"), "observations: title_fr"),
        (lambda d: d["special_codes_fr"].pop("_Z"), "special_codes_fr"),
    ],
)
def test_inconsistent_contract_is_refused_with_the_entry_to_fix(mutate, message):
    document = copy.deepcopy(DOCUMENT)
    mutate(document)
    with pytest.raises(ContractError, match=message):
        parse_contract(document)


def test_generated_seeds_and_docs_match_the_contract():
    stale = [
        str(path)
        for path, content in generated_files().items()
        if not path.exists() or path.read_text(encoding="utf-8") != content
    ]
    assert not stale, f"run `make contract`: these files drift from the contract: {stale}"


def test_raw_tables_carry_every_contract_column_plus_lineage():
    import duckdb

    connection = duckdb.connect()
    for statement in raw_ddl():
        connection.execute(statement)
    contract = load_contract()
    assert raw_tables()[:2] == ["submissions", "returns"]
    for name in [*contract.dataset_names, "observations"]:
        columns = [r[0] for r in connection.execute(f"describe raw.{name}").fetchall()]
        assert columns == [
            *contract.dataset(name).column_names,
            "submission_id",
            "source_sheet",
            "source_row",
            "source_column",
        ]


def test_an_older_raw_table_gains_source_column_and_keeps_its_rows():
    """A home created before ``source_column`` existed gets it on the next connection."""
    import duckdb

    connection = duckdb.connect()
    contract = load_contract()
    columns = ", ".join(f"{c.name} {c.sql_type}" for c in contract.dataset("permits").columns)
    connection.execute("create schema raw")
    connection.execute(
        f"create table raw.permits ({columns}, submission_id varchar not null,"
        " source_sheet varchar, source_row integer not null)"
    )
    connection.execute(
        "insert into raw.permits (member, period, count, submission_id, source_sheet, source_row)"
        " values ('TON', '2026-01', 4, 'S1', 'permits', 2)"
    )
    for statement in raw_ddl():
        connection.execute(statement)
    for statement in raw_ddl():  # every connection runs them: a second time changes nothing
        connection.execute(statement)
    assert connection.execute(
        "select count, source_row, source_column from raw.permits"
    ).fetchall() == [(4, 2, None)]


# --- French (issue 16) ------------------------------------------------------------------------


def test_every_code_dataset_and_column_has_its_french():
    contract = load_contract()
    for name, code_list in contract.code_lists.items():
        english, french = contract.labels(name, "en"), contract.labels(name, "fr")
        assert list(french) == list(english) == list(contract.codes(name))
        assert all(label.strip() for label in french.values()), name
        assert code_list.description_fr.strip()
    assert contract.labels("direction", "fr") == {"ARR": "Arrivée", "DEP": "Départ"}
    assert contract.labels("sex", "fr")["_T"] == "Total (toutes valeurs)"
    assert contract.dataset("refusals").title_in("fr") == "Refus d’entrée"
    for name in [*contract.dataset_names, "observations"]:
        dataset = contract.dataset(name)
        assert dataset.title_in("fr").strip()  # "Observations" is French too
        assert dataset.description_in("fr") != dataset.description_in("en")
        for column in dataset.columns:
            assert column.describe("fr") and column.describe("fr") != column.describe("en")


def test_every_label_in_either_language_reads_back_as_its_code():
    contract = load_contract()
    for name in contract.code_lists:
        for language in ("en", "fr"):
            for code, label in contract.labels(name, language).items():
                assert contract.code_for_label(name, label) == code, (name, language, label)
                assert contract.code_for_label(name, label.upper()) == code
    # Accents and apostrophes as an officer types them; a code is not a label.
    assert contract.code_for_label("document_type", "carte d'identite") == "ID_CARD"
    assert contract.code_for_label("direction", "ARR") is None
    assert contract.code_for_label("direction", "Arrivals") is None


def test_the_code_lists_seed_carries_the_french_labels():
    text = generated_files()[CONTRACT_SEEDS_DIR / "code_lists.csv"]
    header, *rows = text.splitlines()
    assert header == "code_list,code,label,label_fr,sort_order,is_special"
    assert "direction,ARR,Arrival,Arrivée,1,False" in rows
    assert all(row.split(",")[3] for row in rows)

"""The one seed reader: text columns, empty cells as "", read again when the file changes."""

from __future__ import annotations

import os

import pytest

from pidc import settings
from pidc.reference import seeds


def test_reads_the_committed_members_seed_as_text():
    members = seeds.read_seed("reference/members")
    assert {"member_code", "sub_region"} <= set(members.columns)
    assert all(isinstance(code, str) for code in members["member_code"])
    assert "FJI" in set(members["member_code"])
    assert seeds.seed_exists("reference/members")
    assert not seeds.seed_exists("reference/no_such_seed")


def test_each_caller_gets_its_own_copy_and_a_changed_file_is_read_again(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "SEEDS_DIR", tmp_path)
    seed = tmp_path / "reference" / "codes.csv"
    seed.parent.mkdir()
    seed.write_text("code,label\nNA,Namibia\nXX,\n", encoding="utf-8")
    first = seeds.read_seed("reference/codes")
    assert first.to_dict("records") == [
        {"code": "NA", "label": "Namibia"},
        {"code": "XX", "label": ""},
    ]
    first.loc[0, "label"] = "changed by a caller"
    assert seeds.read_seed("reference/codes").loc[0, "label"] == "Namibia"
    seed.write_text("code,label\nFJ,Fiji\n", encoding="utf-8")
    stamp = seed.stat().st_mtime_ns + 1_000_000_000
    os.utime(seed, ns=(stamp, stamp))
    assert seeds.seed_rows("reference/codes") == [{"code": "FJ", "label": "Fiji"}]


@pytest.mark.parametrize("name", ["../secrets", "/etc/passwd"])
def test_a_name_outside_the_seeds_folder_is_refused(name):
    with pytest.raises(ValueError, match="below the seeds folder"):
        seeds.seed_path(name)

"""ICD-10 catalogue: the official QĐ 4469 workbook and search with or without diacritics."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk import icd10
from kiosk.store.opening import open_store

WORKBOOK = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "icd10-qd4469-byt.xlsx"


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory):
    store = open_store(tmp_path_factory.mktemp("icd") / "c.db")
    counts = icd10.import_workbook(store, WORKBOOK)
    yield store, counts
    store.close()


def test_import_reads_every_code_and_the_rule_sheets(catalogue) -> None:
    _, counts = catalogue
    assert counts["codes"] > 12000
    assert counts["not_main"] > 1200 and counts["female_only"] > 800 and counts["male_only"] > 100


def test_codes_come_dotted_with_their_rules(catalogue) -> None:
    store, _ = catalogue
    assert icd10.get(store, "A00.0").name.startswith("Bệnh tả")
    assert icd10.get(store, "A000").code == "A00.0"
    assert icd10.get(store, "B95.0").not_main
    assert icd10.get(store, "N76.0").sex == "F" and icd10.get(store, "C60.0").sex == "M"


@pytest.mark.parametrize("query", ["viêm họng cấp", "viem hong cap", "VIEM HONG", "j02", "J02.9", "J029"])
def test_search_by_name_with_or_without_accents_and_by_code(catalogue, query: str) -> None:
    store, _ = catalogue
    codes = [r.code for r in icd10.search(store, query, 30)]
    assert any(c.startswith("J02") for c in codes), codes


def test_dong_and_d_are_the_same_when_typed_without_accents(catalogue) -> None:
    store, _ = catalogue
    assert [r.code for r in icd10.search(store, "dai thao duong", 50)][:1]
    assert any(r.code.startswith("E11") for r in icd10.search(store, "đái tháo đường", 50))


def test_starter_list_without_import(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s.db")
    assert [r.code for r in icd10.search(store, "tang huyet ap")][:1] == ["I10"]
    store.close()


def test_the_name_typed_comes_before_names_that_only_contain_its_letters(tmp_path: Path) -> None:
    """The walk-through: «viem hong» listed gastritis first (its «không» holds «hong») and pharyngitis third."""
    store = open_store(tmp_path / "s.db")
    codes = [r.code for r in icd10.search(store, "viem hong")]
    assert codes[:2] == ["J02.9", "J00"], codes  # «Viêm họng…», then «Viêm mũi họng…»
    assert codes.index("K29.7") > codes.index("J00") and codes.index("H10.9") > codes.index("J00")
    assert [r.code for r in icd10.search(store, "VIÊM HỌNG")] == codes, "accents and case do not matter"
    assert [r.code for r in icd10.search(store, "viem ho")][:2] == ["J02.9", "J00"], "a word's beginning counts"
    partial = [r.code for r in icd10.search(store, "viem hong tai")]
    assert partial[:2] == ["J02.9", "J00"], "names holding only some of the words come after, best first"
    store.close()


def test_the_catalogue_ranks_the_name_typed_first(catalogue) -> None:
    store, _ = catalogue
    for query, count in (("viem hong", 5), ("viêm họng cấp", 3)):
        results = icd10.search(store, query)
        head = [icd10.fold(r.name) for r in results[:count]]
        assert all(name.startswith(icd10.fold(query)) for name in head), head
    assert [r.code for r in icd10.search(store, "J02")][:1] == ["J02"]
    assert [r.code for r in icd10.search(store, "j02.9")][:1] == ["J02.9"]
    assert [r.code for r in icd10.search(store, "tang huyet ap")][0] in {"I10", "I15", "P29.2", "O16"}
    names = [icd10.fold(r.name) for r in icd10.search(store, "tang huyet ap")]
    assert all("tang huyet ap" in n for n in names[:10]), names


def test_import_command_and_bad_file(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("clinic-kiosk")
    ok = subprocess.run([str(exe), "catalog", "import-icd10", str(WORKBOOK)], capture_output=True, text=True,
                        env=os.environ.copy(), timeout=120)
    assert ok.returncode == 0 and "codes" in ok.stdout
    bad = tmp_path / "x.xlsx"
    bad.write_text("not a workbook")
    result = subprocess.run([str(exe), "catalog", "import-icd10", str(bad)], capture_output=True, text=True,
                            env=os.environ.copy(), timeout=60)
    assert result.returncode == 1 and "Cannot read the workbook" in result.stderr

"""Bad input everywhere: every parser of outside input, fuzzed. No input may crash the program
(only its typed, explained errors are allowed) or harm the data. The same targets run longer under
atheris: benchmarks/fuzz.py --seconds S."""

from __future__ import annotations

import string

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.fuzz_targets import SEEDS, TARGETS, Workspace, gateway_object, workbook_bytes
from kiosk.settings import OPTIONS

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                         HealthCheck.too_slow])


@pytest.fixture(scope="module")
def ws():
    workspace = Workspace()
    yield workspace
    workspace.close()


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_seeds_are_accepted(ws, name: str) -> None:
    for seed in SEEDS[name]:
        TARGETS[name](ws, seed)


@pytest.mark.parametrize("name", sorted(TARGETS))
@FUZZ
@given(data=st.binary(max_size=400))
def test_random_bytes_never_crash(ws, name: str, data: bytes) -> None:
    TARGETS[name](ws, data)


@pytest.mark.parametrize("name", sorted(TARGETS))
@FUZZ
@given(data=st.data())
def test_mangled_seeds_never_crash(ws, name: str, data) -> None:
    seed = bytearray(data.draw(st.sampled_from(SEEDS[name])))
    for _ in range(data.draw(st.integers(1, 8))):
        if not seed:
            break
        at = data.draw(st.integers(0, len(seed) - 1))
        what = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        if what == "flip":
            seed[at] = data.draw(st.integers(0, 255))
        elif what == "cut":
            del seed[at:at + data.draw(st.integers(1, 64))]
        else:
            seed[at:at] = data.draw(st.binary(min_size=1, max_size=16))
    TARGETS[name](ws, bytes(seed))


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=25)
_GATEWAY_KEYS = ["maKetQua", "maThe", "hoTen", "ngaySinh", "gioiTinh", "gtTheTu", "gtTheDen", "maTheMoi", "ghiChu",
                 "dsLichSuKCB2025", "diUng", "benhManTinh", "tiemChung", "xetNghiem", "donThuoc", "ngayVao",
                 "tenBenh", "muiThu", "soNgay", "ngayTiem", "maGiaoDich", "thoiGianTiepNhan", "maDKBD"]


@FUZZ
@given(body=st.dictionaries(st.sampled_from(_GATEWAY_KEYS), _json | st.lists(
    st.dictionaries(st.sampled_from(_GATEWAY_KEYS), _json, max_size=6), max_size=3), max_size=12))
def test_gateway_answers_of_any_shape_never_crash(body: dict) -> None:
    gateway_object(body)


_toml_value = st.one_of(st.text(max_size=20), st.integers(-10**6, 10**6), st.floats(allow_nan=False),
                        st.booleans(), st.lists(st.text(max_size=8), max_size=3),
                        st.dictionaries(st.text(string.ascii_lowercase, min_size=1, max_size=6),
                                        st.text(max_size=8), max_size=3))


@FUZZ
@given(values=st.dictionaries(st.sampled_from([o.key for o in OPTIONS] + ["nope.key", "facility"]), _toml_value,
                              max_size=6))
def test_settings_files_with_any_values_never_crash(ws, values: dict) -> None:
    table: dict = {}
    for key, value in values.items():
        section, _, name = key.partition(".")
        if name:
            node = table.setdefault(section, {})
            if isinstance(node, dict):
                node[name] = value
        else:
            table[section] = value
    TARGETS["settings_toml"](ws, tomli_w.dumps(table).encode())


_xlsx_text = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=20)  # what a cell may hold
_cell = st.one_of(st.none(), _xlsx_text, st.integers(-5, 10**6), st.sampled_from(
    ["MÃ BỆNH", "TÊN BỆNH", "DISEASE NAME", "A00", "J00.1", "Z99.99*", "B95†", "K35.8+"]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(rows=st.lists(st.lists(_cell, max_size=5), max_size=12),
       title=st.sampled_from(["ICD10", "ICD10 (QĐ 4469)", "Sheet", "A2"]))
def test_icd_workbooks_of_any_content_replace_all_or_nothing(ws, rows: list, title: str) -> None:
    TARGETS["icd_workbook"](ws, workbook_bytes(rows, title))

"""Every text a person reads comes as a pair — Vietnamese and English — and is shown one language at a time.

Read from the code itself: every ``tr(vi, en)`` call of the windows and every typed error raised with ``(vi, en)``
in the core. A pair must have both texts, the English one must not be Vietnamese, and neither may carry the other
(the old "vi / en" messages showed both at once, sometimes twice)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Letters only Vietnamese uses (with or without a tone mark): an English text holding them is Vietnamese.
VIETNAMESE = re.compile(r"[ăâđêôơưạảãàáậẩẫầấặẳẵằắẹẻẽèéệểễềếịỉĩìíọỏõòóộổỗồốợởỡờớụủũùúựửữừứỵỷỹỳýĐ]", re.I)
# Names the English text may keep as they are (proper names and the clinic's own words).
KEPT = re.compile(r"Sổ sức khỏe điện tử|VNeID|BHYT|BHXH|CCCD|Khám BHYT|Khám dịch vụ|Tái khám theo hẹn|Ki-ốt|"
                  r"Tiếng Việt|bộ gõ|Unikey|EVKey|QĐ|NĐ|\{[^}]*\}")
# What reads the same in both languages: commands, addresses, settings keys, file names, placeholders.
CODE = re.compile(r"clinic-kiosk[^;:,)]*|https?://\S+|\b[\w-]+\.[\w.-]+\b|\b[A-Z]{2,}\b|--?[\w-]+")


def _text(node: ast.expr) -> str | None:
    """A literal's text; an f-string's literal parts with ``{}`` where values go; None for anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return None


def _pairs() -> list[tuple[str, int, str, str]]:
    found = []
    for path in sorted([*(REPO / "ui").rglob("*.py"), *(REPO / "kiosk").rglob("*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or len(node.args) < 2:
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else (
                node.func.attr if isinstance(node.func, ast.Attribute) else "")
            if name != "tr" and not re.search(r"(Error|Input|Denied|Needed|Usable|Patient|Elsewhere|Store|Full)$", name):
                continue
            vi, en = _text(node.args[0]), _text(node.args[1])
            if vi is None or en is None:
                continue
            found.append((f"{path.relative_to(REPO)}:{node.lineno}", node.lineno, vi, en))
    return found


PAIRS = _pairs()


def test_the_pairs_are_found() -> None:
    assert len(PAIRS) > 300  # the windows' texts and the core's errors
    assert any(vi == "Đăng nhập" for _, _, vi, _ in PAIRS)


def test_every_pair_has_both_languages() -> None:
    missing = [f"{where}: {vi!r} / {en!r}" for where, _, vi, en in PAIRS if not vi.strip() or not en.strip()]
    assert not missing, "\n".join(missing)


def test_english_texts_are_english() -> None:
    wrong = [f"{where}: {en!r}" for where, _, vi, en in PAIRS if VIETNAMESE.search(KEPT.sub("", en)) and vi != en]
    assert not wrong, "English texts in Vietnamese:\n" + "\n".join(wrong)


def test_no_text_carries_both_languages() -> None:
    both = []
    for where, _, vi, en in PAIRS:
        if vi == en:
            continue
        plain_vi, plain_en = CODE.sub(" ", vi), CODE.sub(" ", en)
        words = {w for w in re.split(r"[\s/—:;,.()]+", plain_en) if len(w) > 3 and w.isascii() and w.isalpha()}
        english_in_vi = sorted(w for w in words if re.search(rf"\b{re.escape(w)}\b", plain_vi, re.I)
                               and w.lower() not in ("camera", "demo", "online", "offline", "kiosk"))
        if len(en) > 12 and (en in vi or vi in en):
            both.append(f"{where}: {vi!r} holds {en!r}")
        elif len(english_in_vi) >= 3:
            both.append(f"{where}: {vi!r} has English words {english_in_vi}")
    assert not both, "texts showing both languages:\n" + "\n".join(both)


def test_the_windows_never_show_an_errors_two_languages_at_once() -> None:
    """``str(error)`` of a typed error is "vi / en" (for logs and the command line): a window shows one language."""
    shown = []
    for path in sorted((REPO / "ui").rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"set(Text|PlainText|ToolTip)\(.*\bstr\((exc|error|err|e)\)", line) or \
                    re.search(r"showMessage\(.*\bstr\((exc|error|err|e)\)", line):
                shown.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert not shown, "\n".join(shown)

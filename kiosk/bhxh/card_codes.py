"""``maKetQua`` codes of the BHXH card check (DOMAIN.md §3.5) and what the desk does with each.

Every code maps to one decision and a message for the receptionist in Vietnamese and English.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Decision(enum.StrEnum):
    USABLE = "usable"  # the card is valid: go on
    USABLE_NEW_CARD = "usable_new_card"  # 003/004: a new card exists; use maTheMoi
    NOT_USABLE = "not_usable"  # no BHYT benefit on this card today
    CHECK_PAPER = "check_paper"  # cannot be confirmed online: check the card and ID documents
    RETRY = "retry"  # the gateway could not answer: care goes on, the check is retried


@dataclass(frozen=True)
class CodeInfo:
    code: str
    decision: Decision
    vi: str
    en: str


_CODES = [
    CodeInfo("000", Decision.USABLE, "Thẻ còn giá trị sử dụng", "The card is valid"),
    CodeInfo("001", Decision.CHECK_PAPER, "Thẻ do BHXH Bộ Quốc phòng quản lý: kiểm tra thẻ và giấy tờ tùy thân",
             "Card managed by the Defence social security: check the card and an ID document"),
    CodeInfo("002", Decision.CHECK_PAPER, "Thẻ do BHXH Bộ Công an quản lý: kiểm tra thẻ và giấy tờ tùy thân",
             "Card managed by the Public Security social security: check the card and an ID document"),
    CodeInfo("003", Decision.USABLE_NEW_CARD, "Thẻ cũ hết giá trị, đã được cấp thẻ mới: dùng mã thẻ mới",
             "The old card has expired and a new card was issued: use the new card number"),
    CodeInfo("004", Decision.USABLE_NEW_CARD, "Thẻ cũ còn giá trị, đã được cấp thẻ mới: dùng mã thẻ mới",
             "The old card is still valid but a new card was issued: use the new card number"),
    CodeInfo("010", Decision.NOT_USABLE, "Thẻ đã hết hạn sử dụng", "The card has expired"),
    CodeInfo("050", Decision.CHECK_PAPER, "Không có thông tin thẻ trên cổng: kiểm tra thẻ giấy/VNeID",
             "The portal has no information on this card: check the paper or VNeID card"),
    CodeInfo("051", Decision.CHECK_PAPER, "Mã thẻ không đúng: kiểm tra lại mã thẻ", "Wrong card code: check the card number"),
    CodeInfo("052", Decision.CHECK_PAPER, "Mã tỉnh cấp thẻ (ký tự 4, 5) không đúng: kiểm tra lại mã thẻ",
             "Wrong province code (characters 4–5): check the card number"),
    CodeInfo("053", Decision.CHECK_PAPER, "Mã quyền lợi (ký tự thứ 3) không đúng: kiểm tra lại mã thẻ",
             "Wrong benefit code (character 3): check the card number"),
    CodeInfo("054", Decision.CHECK_PAPER,
             "Số CCCD của cán bộ tra cứu chưa được đăng ký với BHXH: báo quản trị hệ thống",
             "The looking-up staff member's ID is not registered with BHXH: tell the administrator"),
    CodeInfo("055", Decision.CHECK_PAPER, "Họ tên cán bộ tra cứu không khớp số CCCD đã đăng ký: báo quản trị hệ thống",
             "The staff member's name does not match the registered ID: tell the administrator"),
    CodeInfo("060", Decision.CHECK_PAPER, "Họ tên không đúng với thẻ: kiểm tra lại họ tên",
             "The name does not match the card: check the name"),
    CodeInfo("061", Decision.CHECK_PAPER, "Họ tên không đúng (đúng ký tự đầu): kiểm tra lại họ tên",
             "The name does not match the card (first letter correct): check the name"),
    CodeInfo("070", Decision.CHECK_PAPER, "Ngày sinh không đúng với thẻ: kiểm tra lại ngày sinh",
             "The date of birth does not match the card: check the date of birth"),
    CodeInfo("100", Decision.RETRY, "Lỗi khi lấy dữ liệu sổ thẻ: thử lại sau", "Error fetching the card register: retry later"),
    CodeInfo("101", Decision.RETRY, "Máy chủ BHXH gặp lỗi: thử lại sau", "The BHXH server failed: retry later"),
    CodeInfo("110", Decision.NOT_USABLE, "Thẻ đã bị thu hồi", "The card has been revoked"),
    CodeInfo("120", Decision.NOT_USABLE, "Thẻ đã bị báo giảm", "The card has been reported as reduced"),
    CodeInfo("121", Decision.NOT_USABLE, "Thẻ bị báo giảm: chuyển ngoại tỉnh", "Card reduced: moved to another province"),
    CodeInfo("122", Decision.NOT_USABLE, "Thẻ bị báo giảm: chuyển nội tỉnh", "Card reduced: moved within the province"),
    CodeInfo("123", Decision.NOT_USABLE, "Thẻ bị báo giảm: thu hồi do tăng lại cùng đơn vị",
             "Card reduced: re-registered at the same unit"),
    CodeInfo("124", Decision.NOT_USABLE, "Thẻ bị báo giảm: ngừng tham gia", "Card reduced: stopped participating"),
    CodeInfo("130", Decision.CHECK_PAPER, "Trẻ em chưa có thẻ: dùng giấy chứng sinh/giấy khai sinh",
             "Child without a card: use the birth certificate"),
    CodeInfo("205", Decision.CHECK_PAPER, "Sai định dạng tham số tra cứu: kiểm tra lại thông tin nhập",
             "Wrong parameter format: check what was entered"),
    CodeInfo("401", Decision.RETRY, "Lỗi xác thực tài khoản cổng BHXH: thử lại hoặc báo quản trị",
             "Gateway authentication failed: retry or tell the administrator"),
]

CODES: dict[str, CodeInfo] = {c.code: c for c in _CODES}


def describe(code: str | None) -> CodeInfo:
    """The decision and message for a ``maKetQua``; an unknown code means "retry"."""
    if code in CODES:
        return CODES[code]
    return CodeInfo(str(code), Decision.RETRY, f"Cổng BHXH trả mã lạ ({code}): thử lại sau",
                    f"The gateway answered an unknown code ({code}): retry later")


def usable(decision: Decision) -> bool:
    return decision in (Decision.USABLE, Decision.USABLE_NEW_CARD)


def needs_confirmation(decision: Decision) -> bool:
    """The gateway answered, and not "usable": insurance only on the receptionist's word (and reason).
    ``RETRY`` is not here: a card that could not be checked yet goes on, pending (NĐ 188 Art. 38)."""
    return decision in (Decision.NOT_USABLE, Decision.CHECK_PAPER)

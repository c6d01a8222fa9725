from __future__ import annotations

from scanner.validator import ScanValidator


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_needs_the_same_text_on_n_frames() -> None:
    clock = Clock()
    v = ScanValidator(confirm_frames=2, quiet_seconds=10, clock=clock)
    assert v.feed("A") is None
    clock.now = 0.03
    assert v.feed("B") is None, "a different text is not a confirmation"
    clock.now = 0.06
    assert v.feed("A") == "A"


def test_same_code_is_quiet_for_the_configured_time_then_accepted_again() -> None:
    clock = Clock()
    v = ScanValidator(confirm_frames=1, quiet_seconds=10, clock=clock)
    assert v.feed("A") == "A"
    clock.now = 5
    assert v.feed("A") is None
    assert v.feed("B") == "B", "another patient is not held back"
    clock.now = 10.5
    assert v.feed("A") == "A"


def test_sightings_far_apart_do_not_add_up() -> None:
    clock = Clock()
    v = ScanValidator(confirm_frames=2, window_seconds=2, clock=clock)
    assert v.feed("A") is None
    clock.now = 3
    assert v.feed("A") is None
    clock.now = 3.1
    assert v.feed("A") == "A"


def test_empty_frames_reset_and_forget_all() -> None:
    v = ScanValidator(confirm_frames=2, quiet_seconds=60)
    assert v.feed(None) is None and v.feed("") is None
    assert v.feed("A") is None
    v.reset()
    assert v.feed("A") is None, "a reset drops codes half-confirmed"
    assert v.feed("A") == "A"
    v.reset()
    assert v.feed("A") is None and v.feed("A") is None, "an accepted code stays quiet after a reset"
    v.forget_all()
    assert v.feed("A") is None and v.feed("A") == "A"


def test_no_accepted_text_is_kept_in_memory() -> None:
    v = ScanValidator(confirm_frames=1)
    v.feed("001099012345|NGUYỄN VĂN AN")
    assert "NGUYỄN" not in repr(vars(v))

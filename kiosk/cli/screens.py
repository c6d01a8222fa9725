"""``clinic-kiosk screens --out DIR``: the gallery of every named state of the four stations, rendered offscreen from
the demo data of a throw-away clinic at each station's size (``DIR/<state>.png`` and ``DIR/index.json``). Exit 0 when
every state was drawn with no cut text and no text in both languages, 1 otherwise (the index says which)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from kiosk.settings import Settings


def cmd_screens(args: argparse.Namespace, settings: Settings) -> int:
    os.environ["QT_QPA_PLATFORM"] = "offscreen"  # pictures, not windows: works on a server with no screen
    from ui.gallery import STATES, render

    only = set(args.state) if args.state else None
    unknown = sorted((only or set()) - set(STATES))
    if unknown:
        print(f"Không có trạng thái / no such state: {', '.join(unknown)}; có / known: {', '.join(STATES)}")
        return 1
    out = Path(args.out).expanduser()
    index = render(out, only, language=args.language)
    bad = 0
    for state in index["states"]:
        problems = [f"lỗi / error: {state['error']}"] if state["error"] else []
        problems += [f"chữ bị cắt / cut: {t!r}" for t in state["clipped"]]
        problems += [f"hai thứ tiếng / both languages: {t!r}" for t in state["both_languages"]]
        mark = "ok" if not problems else "!!"
        print(f"{mark} {state['name']:24} {state['width']}×{state['height']}  {state['file']}")
        for problem in problems:
            print(f"     {problem}")
        bad += bool(problems)
    print(f"{out / 'index.json'}: {len(index['states'])} screens, {bad} with problems")
    return 1 if bad else 0


def add_commands(commands: argparse._SubParsersAction) -> None:
    screens = commands.add_parser("screens", help="render every station state offscreen from demo data into DIR "
                                                  "(DIR/<state>.png and DIR/index.json)")
    screens.add_argument("--out", metavar="DIR", required=True, help="folder for the pictures and index.json")
    screens.add_argument("--state", metavar="STATE", action="append",
                         help="only this state (repeatable), e.g. reception-patient")
    screens.add_argument("--language", choices=("vi", "en"), default="vi", help="the screens' language (default vi)")
    screens.set_defaults(handler=cmd_screens)

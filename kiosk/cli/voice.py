"""``clinic-kiosk voice``: the waiting-hall board's voice from the command line.

``voice say TEXT`` says a text aloud with the board's Vietnamese voice, ``--out FILE.wav`` writes it to a file
instead; ``voice call NUMBER ROOM`` does the same with the board's own call (chime and sentence). Exit 0 ok, 1 bad
input (empty text), 3 no speech engine installed, 4 no sound output to play on.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from kiosk.settings import Settings
from kiosk.voice import speech
from kiosk.voice.words import call_sentence


def _out(text: str, args: argparse.Namespace) -> int:
    if args.out:
        path = speech.synthesize(text, Path(args.out).expanduser(), chime=args.chime)
        sound = speech.measure(path)
        print(f"{path}: {sound.seconds:.2f} s, RMS {sound.rms:.3f}")
        return 0
    seconds = speech.speak(text, chime=args.chime)
    print(f"đã đọc / said ({seconds:.1f} s)")
    return 0


def cmd_voice_say(args: argparse.Namespace, settings: Settings) -> int:
    return _out(args.text, args)


def cmd_voice_call(args: argparse.Namespace, settings: Settings) -> int:
    text = call_sentence(args.number, args.room)
    print(text)
    return _out(text, args)


def add_commands(commands: argparse._SubParsersAction) -> None:
    voice = commands.add_parser("voice", help="the board's voice: say a text or a call, or write it to a WAV file")
    actions = voice.add_subparsers(dest="voice_command", metavar="ACTION", required=True)
    say = actions.add_parser("say", help="say TEXT in Vietnamese (exit 1 empty text, 3 no speech engine, "
                                         "4 no sound output)")
    say.add_argument("text", metavar="TEXT", help='e.g. "Mời số A 0 1 đến phòng khám số 2"')
    call = actions.add_parser("call", help="say the board's call for ticket NUMBER to ROOM (chime first)")
    call.add_argument("number", metavar="NUMBER", help="the number as printed on the ticket, e.g. 023 or A07")
    call.add_argument("room", metavar="ROOM", help="the room, e.g. 102")
    for action, handler, chime in ((say, cmd_voice_say, False), (call, cmd_voice_call, True)):
        action.add_argument("--out", metavar="FILE.wav", help="write a WAV file instead of playing it")
        action.add_argument("--chime", action="store_true", default=chime,
                            help="the board's chime before the words" + (" (always for a call)" if chime else ""))
        action.set_defaults(handler=handler)

"""Line breaking for the terminal report: a line holding Chinese breaks between characters, never in a word.

rich breaks lines at spaces only: a Chinese sentence (no spaces) is one long "word", moved whole to
the next line (leaving the line before it short) and then cut wherever the width ends, inside an
error code or a URL too. Here a CJK character is a unit of its own, a run of Latin letters, digits
and ASCII punctuation (a word, a code, a path, a URL) stays whole unless it is wider than a line,
and punctuation that closes (，。）) never starts a line nor one that opens (（「) ends one. Lines
without CJK characters wrap exactly as rich wraps them. Widths are display cells (rich's
``cell_len``): a CJK character takes two.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from rich.cells import cell_len, chop_cells
from rich.console import Console, ConsoleOptions, JustifyMethod, OverflowMethod
from rich.containers import Lines
from rich.measure import Measurement
from rich.text import Text

# Wide characters: CJK ideographs, kana, Hangul, CJK and fullwidth punctuation and forms.
_WIDE = ("\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3"
         "\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\U00020000-\U0003fffd")
_CLOSING = "、。，．：；！？）］｝」』】〉》〕〗〙〛”’…％"
_OPENING = "（［｛「『【〈《〔〖〘〚“‘"
_HAS_WIDE = re.compile(f"[{_WIDE}]")
# One unit of a line with the spaces after it: opening marks, then a CJK character or a run of
# anything else but spaces, then closing marks; a stray mark on its own is a unit too.
_UNIT = re.compile(rf"\s*(?:[{_OPENING}]*(?:[{_WIDE}]|[^\s{_WIDE}{_OPENING}{_CLOSING}]+)[{_CLOSING}]*|\S)\s*")


def _units(text: str) -> Iterator[tuple[int, str]]:
    """(start, unit with its trailing spaces) over ``text``, as rich's ``words`` yields its words."""
    position = 0
    while (match := _UNIT.match(text, position)) is not None:
        yield position, match.group()
        position = match.end()


def divide_line(text: str, width: int, fold: bool = True) -> list[int]:
    """The offsets at which to break ``text`` so that each piece fits in ``width`` cells.

    rich's ``divide_line`` with CJK characters as units: a unit that does not fit goes to the next
    line; one wider than a line is folded across lines when ``fold``, else cropped.
    """
    breaks: list[int] = []
    offset = 0
    for start, unit in _units(text):
        length = cell_len(unit.rstrip())
        if width - offset >= length:
            offset += cell_len(unit)
        elif length > width:
            if fold:
                pieces = chop_cells(unit, width)
                for index, piece in enumerate(pieces):
                    if start:
                        breaks.append(start)
                    if index == len(pieces) - 1:
                        offset = cell_len(piece)
                    else:
                        start += len(piece)
            else:
                if start:
                    breaks.append(start)
                offset = cell_len(unit)
        elif offset and start:
            breaks.append(start)
            offset = cell_len(unit)
    return breaks


class WrappingText(Text):
    """A rich ``Text`` whose lines holding CJK characters break between characters (see the module)."""

    def wrap(self, console: Console, width: int, *, justify: JustifyMethod | None = None,
             overflow: OverflowMethod | None = None, tab_size: int = 8, no_wrap: bool | None = None) -> Lines:
        if not _HAS_WIDE.search(self.plain):
            return super().wrap(console, width, justify=justify, overflow=overflow, tab_size=tab_size,
                                no_wrap=no_wrap)
        # What rich's Text.wrap does, with this module's divide_line.
        wrap_justify: JustifyMethod = justify or self.justify or "default"
        wrap_overflow: OverflowMethod = overflow or self.overflow or "fold"
        unwrapped = (self.no_wrap if no_wrap is None else no_wrap) or overflow == "ignore"
        lines = Lines()
        for line in self.split(allow_blank=True):
            if "\t" in line:
                line.expand_tabs(tab_size)
            if unwrapped:
                if overflow == "ignore":
                    lines.append(line)
                    continue
                new_lines = Lines([line])
            else:
                new_lines = line.divide(divide_line(line.plain, width, fold=wrap_overflow == "fold"))
                for piece in new_lines:
                    piece.rstrip_end(width)
            if wrap_justify:
                new_lines.justify(console, width, justify=wrap_justify, overflow=wrap_overflow)
            for piece in new_lines:
                piece.truncate(width, overflow=wrap_overflow)
            lines.extend(new_lines)
        return lines

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        # The narrowest a table column may make this text: its widest unit, not its widest
        # space-separated "word" (a whole Chinese sentence).
        measured = super().__rich_measure__(console, options)
        if not _HAS_WIDE.search(self.plain):
            return measured
        widest = max((cell_len(unit.strip()) for _, unit in _units(self.plain)), default=measured.minimum)
        return Measurement(min(widest, measured.minimum), measured.maximum)

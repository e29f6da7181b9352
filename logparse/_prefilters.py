"""Shorter, rarer pieces of probe literals for the multi-literal scan, kept as data.

A probe's literal only pre-filters (its regex confirms every candidate line), so any piece of
it is an equally correct pre-filter. Which piece is fastest is a fact about log text, not
about the code: Hyperscan's literal engine looks at up to 8 bytes of each literal, and a
caseless set whose pieces are common English ("Failed to download artifacts") confirms far
more false candidates internally than one whose pieces are rare ("wnload a"). Measured on
the triage benchmark, the catalogue's caseless set scans at ~1 GB/s as written and ~2 GB/s
with the rarest 8-byte pieces, reporting the same candidate lines.

``prefilters.tsv`` (``literal<TAB>piece`` per line) is regenerated from a corpus of logs with
``python -m logparse._prefilters CORPUS_DIR...``; a literal it does not list (a new catalogue
entry, say) is scanned whole, which is correct and only slower.
"""

from __future__ import annotations

import functools
import math
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

DATA = Path(__file__).with_name("data") / "prefilters.tsv"
WIDTH = 8  # the bytes of a literal Hyperscan's FDR engine hashes; longer pieces were slower
_TEXT_SUFFIXES = {".log", ".txt", ".md", ".conf", ".status", ".settings", ".handler", ""}


@functools.cache
def pieces() -> dict[str, str]:
    """``literal -> piece`` as stored; empty when the file is missing or unreadable."""
    try:
        text = DATA.read_text(encoding="utf-8")
    except OSError:
        return {}
    out: dict[str, str] = {}
    for line in text.splitlines():
        literal, sep, piece = line.partition("\t")
        if sep and piece:
            out[literal] = piece
    return out


def piece_of(literal: str, caseless: bool) -> str:
    """The piece to scan for ``literal``, or "" to scan it whole (no piece stored, or the stored
    one is not a piece of it)."""
    piece = pieces().get(literal)
    if piece is None or piece == literal:
        return ""
    inside = piece.lower() in literal.lower() if caseless else piece in literal
    return piece if inside else ""


class _Model:
    """How likely a piece of text is in logs: a character model of order 3 fitted to a corpus.

    Exact counts in a corpus of a few MB are mostly zero for 8-byte pieces, which says nothing
    about real logs ("switching to" may never appear in the corpus yet is common); the model
    smooths over that: a piece built of common trigrams-then-letter is common.
    """

    def __init__(self, corpus: bytes) -> None:
        self.grams = Counter(corpus[i:i + 4] for i in range(len(corpus) - 3))
        self.heads = Counter(corpus[i:i + 3] for i in range(len(corpus) - 2))

    def log_likelihood(self, piece: bytes) -> float:
        total = 0.0
        for i in range(len(piece) - 3):
            total += math.log((self.grams[piece[i:i + 4]] + 0.1) / (self.heads[piece[i:i + 3]] + 25.6))
        return total


def choose(literal: str, caseless: bool, corpus: bytes, model: _Model) -> str:
    """The ``WIDTH``-character piece of ``literal`` least often seen in, or least likely by, the corpus."""
    if len(literal) <= WIDTH:
        return literal
    best: tuple[int, bool, float, str] | None = None
    for i in range(len(literal) - WIDTH + 1):
        piece = literal[i:i + WIDTH]
        needle = (piece.lower() if caseless else piece).encode()
        # Word starts say more than word ends ("tching t" is in "switching to" as well as in
        # "fetching the"), so among equally rare pieces those that start a word win.
        starts_word = i == 0 or not literal[i - 1].isalnum() or not piece[0].isalnum()
        # Counts within a factor of two tie: a few MB of corpus cannot tell them apart better.
        rank = ((corpus.count(needle) + 1).bit_length(), not starts_word, model.log_likelihood(needle), piece)
        if best is None or rank < best:
            best = rank
    assert best is not None
    return best[3]


def build(literals: Iterable[tuple[str, bool]], corpus: bytes) -> dict[str, str]:
    """The pieces of ``literals`` (``(literal, caseless)``) chosen against ``corpus``."""
    folded = corpus.lower()
    # Case-sensitive literals are rare (most signatures fold case): one folded model serves both.
    model = _Model(folded)
    return {literal: choose(literal, caseless, folded if caseless else corpus, model)
            for literal, caseless in sorted(set(literals)) if len(literal) > WIDTH}


def _catalogue_literals() -> list[tuple[str, bool]]:
    """Every literal the triage scanners confirm with a regex (signatures and facts)."""
    from logparse.catalogue import load_catalogue
    from logparse.chunks import FACTS

    out = [(sig.literal, "i" in sig.flags) for _, sig in load_catalogue().signatures()]
    out += [(literal, True) for _, _, literal, _ in FACTS]
    return out


def _corpus(folders: Iterable[str]) -> bytes:
    parts: list[bytes] = []
    for folder in folders:
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file() and path.suffix in _TEXT_SUFFIXES:
                parts.append(path.read_bytes())
    return b"\n".join(parts)


def main(argv: list[str]) -> int:
    """Regenerate ``prefilters.tsv`` from the log files under the given folders."""
    if not argv:
        print("usage: python -m logparse._prefilters CORPUS_DIR...", file=sys.stderr)
        return 2
    corpus = _corpus(argv)
    chosen = build(_catalogue_literals(), corpus)
    DATA.parent.mkdir(exist_ok=True)
    DATA.write_text("".join(f"{literal}\t{piece}\n" for literal, piece in sorted(chosen.items())), encoding="utf-8")
    print(f"{len(chosen)} pieces from {len(corpus):,} bytes of logs -> {DATA}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

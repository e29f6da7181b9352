"""The stored scan pieces: each is part of its literal, and the chooser prefers rare ones."""

from __future__ import annotations

from logparse import _prefilters
from logparse._prefilters import WIDTH, build, piece_of, pieces


def test_every_stored_piece_is_part_of_its_literal() -> None:
    stored = pieces()
    assert stored, f"{_prefilters.DATA} is missing or empty"
    for literal, piece in stored.items():
        assert len(piece) <= WIDTH < len(literal)
        assert piece.lower() in literal.lower(), (literal, piece)


def test_a_piece_that_is_not_part_of_its_literal_is_ignored(monkeypatch: object) -> None:
    import pytest

    mp = pytest.MonkeyPatch()
    mp.setattr(_prefilters, "pieces", lambda: {"Target handler state: ": "nowhere!", "Abc defg hij": "DEFG HI"})
    try:
        assert piece_of("Target handler state: ", True) == ""
        assert piece_of("Abc defg hij", True) == "DEFG HI"
        assert piece_of("Abc defg hij", False) == ""  # case matters for a case-sensitive literal
        assert piece_of("not stored at all", True) == ""
    finally:
        mp.undo()


def test_the_chooser_avoids_pieces_common_in_the_corpus() -> None:
    corpus = b"\n".join([b"INFO Fetching the goal state [incarnation 1]"] * 50
                        + [b"INFO switching to host plugin"] * 50 + [b"ERROR Error fetching the goal state"])
    chosen = build([("Error fetching the goal state", True), ("short", True)], corpus)
    piece = chosen["Error fetching the goal state"]
    assert "short" not in chosen  # literals of WIDTH or fewer characters are scanned whole
    assert len(piece) == WIDTH and piece.lower() in "error fetching the goal state"
    assert corpus.lower().count(piece.lower().encode()) == 1
    assert build([("Error fetching the goal state", True)], corpus) == {"Error fetching the goal state": piece}

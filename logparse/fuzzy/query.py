"""A pasted text in the forms the evidence finders share, and the evidence they return."""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import accumulate

from logparse.errors import ParseError
from logparse.fuzzy.index import CJK, PLAIN, TOKEN, fold, tokens

REPORT_FLOOR = 0.3  # weaker candidates are noise and are never returned
WEAK = 0.45  # a hint, shown but not to be acted on (the action threshold is 0.5)
MAX_QUERY_BYTES = 1 << 20  # pasted error text, not a whole log: ``logparse parse`` reads those

_SPLIT_WORDS = re.compile(f"({TOKEN.pattern})")
# Chinese field names and boilerplate, taken out of a text's Chinese runs (see Query.alone).
_CJK_LABEL = re.compile("|".join(sorted({w for w in PLAIN if w[0] > "z"} | {"作业", "建议", "错误码"}, key=len,
                                        reverse=True)))
_LONG_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]{9,}")
_BACKUP_CONTEXT = re.compile(
    r"backup|\bvault\b|recovery ?services|restore ?point|snapshot|\brestore\b|备份|保管库|快照|还原"
)
# Words only Azure Backup, its vault and the Azure VM agents and their logs write. "Backup" and
# "snapshot" are not among them: every backup product's errors say those.
_AZURE_BACKUP = re.compile(
    r"azure ?(?:vm ?)?backup|recovery ?services|(?<!key )\bvaults?\b|\brsv\b|azurebackuprg|vmsnapshot"
    r"|iaasbcdr|iaasvmprovider|waagent|walinuxagent|waappagent|windowsazure|guestagent|exthandler|envhandler"
    r"|daemon daemon|hostgaplugin|wireserver|168\.63\.129\.16|azure ?备份|恢复服务|(?<!密钥)保管库"
)


@dataclass
class Evidence:
    """One reason to believe the text points to ``entry`` (a catalogue id or an unknown code)."""

    entry: str
    confidence: float
    matched: str
    lang: str
    span: tuple[int, int]
    text: str
    # Set when held at WEAK because the text lacks what would make it proof (``messages._specific``,
    # ``codes.signature_evidence``): the confidence it had. Alone it is a hint; next to proof of
    # the same entry it still agrees with it as much as before.
    uncapped: float = 0.0
    # For a hint, the check that would cap it (``messages._specific``), left until it matters:
    # when it is its entry's best evidence and another piece would back it.
    pending: Callable[[], bool] | None = field(default=None, repr=False, compare=False)
    # The most its entry may be given, whatever else agrees, when the text itself leaves it open
    # (a start several entries' messages share, a code that may be cut short), and why.
    ceiling: float = 1.0
    note: str = ""
    ties: tuple[str, ...] = ()  # the entries the text does not tell this one from

    def cap(self) -> None:
        """Hold at WEAK at most: shown, not to be acted on, and no support for a like hint."""
        self.uncapped, self.confidence = self.confidence, min(self.confidence, WEAK)


def query_text(data: bytes | str) -> str:
    """Validate pasted input and return it as text.

    Raises:
        ParseError: empty or whitespace-only input, binary data (NUL bytes or mostly
            undecodable bytes), or more than ``MAX_QUERY_BYTES``.
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if len(raw) > MAX_QUERY_BYTES:
        raise ParseError(f"match: input is larger than {MAX_QUERY_BYTES // 1024} KiB; pass the error text, "
                         "not a whole log (logparse parse reads logs)")
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Windows PowerShell 5.1 writes UTF-16 with a BOM when output is redirected to a file.
        raw = raw.decode("utf-16", errors="replace").encode("utf-8")
    if b"\x00" in raw:
        raise ParseError("match: input is binary (NUL bytes); pass the error text")
    text = raw.decode("utf-8-sig", errors="replace")
    if text.count("\ufffd") > max(8, len(text) // 20):
        # A Chinese paste saved by an older Windows tool is GB18030 (GBK) rather than UTF-8.
        try:
            text = raw.decode("gb18030")
        except UnicodeDecodeError:
            raise ParseError("match: input is not UTF-8 text (mostly undecodable bytes); pass the error text") from None
    if not text.strip():
        raise ParseError("match: no text to match; pass TEXT or pipe the error text on stdin")
    return text


class Query:
    """The text folded, split into words and word sets, each form computed once."""

    def __init__(self, text: str, backup: bool = False) -> None:
        self.text = text
        self.folded = text.lower() if text.isascii() else fold(text)  # NFKC changes no ASCII
        # Split keeping the words: [gap, word, gap, word, ..., gap]. The words are ASCII words
        # and whole Chinese runs; the part lengths give every offset without a match object each.
        self._parts: list[str] = _SPLIT_WORDS.split(self.folded)
        self.words: list[str] = self._parts[1::2]
        self.cjk = not self.folded.isascii() and CJK.search(self.folded) is not None  # (isascii costs nothing)
        self.lang = "zh-CN" if self.cjk else "en"
        self.wordset = set(self.words)
        if self.cjk:  # Chinese wordings are indexed by character bigrams
            self.wordset.update(w[i : i + 2] for w in self.words if w[0] > "z" for i in range(len(w) - 1))
        self._tokens: tuple[list[str], list[int]] | None = None
        self._context: bool | None = True if backup else None
        self._azure: bool | None = True if backup else None
        self._long_at: list[int] | None = None
        self._nine_at: list[int] | None = None

    @property
    def same_offsets(self) -> bool:
        """Folding kept every offset, so a span of the folded text is the same span of the text."""
        return len(self.text) == len(self.folded)

    @property
    def backup_context(self) -> bool:
        """Whether the text talks about backup at all (vault, snapshot, restore point, 备份 ...)."""
        if self._context is None:
            self._context = _BACKUP_CONTEXT.search(self.folded) is not None
        return self._context

    @property
    def azure_backup(self) -> bool:
        """Whether the text shows it comes from Azure Backup: the service, its vault, the VM agents' logs."""
        if self._azure is None:
            self._azure = _AZURE_BACKUP.search(self.folded) is not None
        return self._azure

    def is_about(self, span: tuple[int, int]) -> bool:
        """Whether the text is little more than this span: the question is this code or message."""
        return len(self.words) <= 6 or span[1] - span[0] >= 0.75 * len(self.folded.strip())

    def alone(self, span: tuple[int, int]) -> bool:
        """Whether the text is this span and labels: nothing else but the portal's or a shell's
        field names ("Error Message:", "错误消息："), stop words, numbers and punctuation.

        Stricter than ``is_about`` for a message, whose few words could be another product's
        sentence: "华为云 ECS 控制台提示：虚拟机不存在" is four "words", one of them the message.
        """
        folded = self.folded
        if span[1] - span[0] >= 0.75 * len(folded.strip()):
            return True
        if self.cjk:  # labels as words first: bigrams would cut them apart
            rest = _CJK_LABEL.sub(" ", f"{folded[:span[0]]} {folded[span[1]:]}")
            return all(word in PLAIN or word.isdigit() or len(word) == 1 for word in TOKEN.findall(rest))
        words, starts = self.tokens
        # Prose has a word of its own within a few: the first one settles it.
        return all(word in PLAIN or word.isdigit() or len(word) == 1
                   for word, at in zip(words, starts, strict=True) if not span[0] <= at < span[1])

    @property
    def tokens(self) -> tuple[list[str], list[int]]:
        """Tokens (Chinese runs as bigrams) and their start offsets in the folded text."""
        if self._tokens is None:
            if self.cjk:
                pairs = tokens(self.folded)
                self._tokens = ([t for t, _ in pairs], [at for _, at in pairs])
            else:  # the words are the tokens already; only offsets are missing
                ends = list(accumulate(map(len, self._parts)))  # part i ends where part i + 1 starts
                self._tokens = (self.words, ends[0:-1:2])
        return self._tokens

    def long_words(self) -> list[str]:
        """Words of ten or more letters as written (case kept), where a code could hide."""
        if not self.same_offsets:
            return _LONG_WORD.findall(self.text)
        words, starts = self.tokens
        text = self.text
        return [text[starts[i]:starts[i] + len(words[i])] for i in self.long_at
                if words[i][0].isalpha() and words[i][0] <= "z"]

    @property
    def long_at(self) -> list[int]:
        """Where the words of ten or more characters are, in ``tokens``: codes and long names."""
        if self._long_at is None:
            words = self.tokens[0]
            self._long_at = [i for i in self.nine_at if len(words[i]) > 9]
        return self._long_at

    @property
    def nine_at(self) -> list[int]:
        """Where the words of nine or more characters are, in ``tokens``: a short code less a letter too."""
        if self._nine_at is None:
            self._nine_at = [i for i, w in enumerate(self.tokens[0]) if len(w) >= 9]
        return self._nine_at

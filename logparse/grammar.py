"""Grammar loading (cached per process) and the fast header matcher compiled from a grammar.

Every line-oriented format describes its header line in ``grammars/<name>.lark``: ``start``
lists one rule per layout generation. Two matchers are built from that one grammar:

* ``parse_slow`` runs lark's LALR parser with an inline transformer (the reference);
* ``match`` runs one regular expression per generation, assembled from the grammar's own
  rules and terminal patterns, so the hot path never runs a full parse per line.

Both return ``(generation, {TERMINAL_NAME: text})``; a property test proves they agree.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from lark import Lark
    from lark.grammar import Rule

from logparse import _cache
from logparse.errors import FormatError

Fields = dict[str, str | None]
Match = tuple[str, Fields]


def grammar_dir() -> Path:
    """The folder holding the ``.lark`` files: inside the installed package, else the repo's."""
    packaged = resources.files("logparse") / "grammars"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "grammars"


def grammar_text(name: str) -> str:
    path = grammar_dir() / f"{name}.lark"
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FormatError(f"grammar {name!r} not found at {path}") from exc


def _fields_transformer() -> Any:
    """A lark Transformer collapsing a header parse tree into ``(generation, {terminal: text})``.

    Built on first use: importing lark costs start-up time and only the reference path needs it.
    """
    from lark import Token, Transformer

    class FieldsTransformer(Transformer[Token, Any]):
        def __default__(self, data: Any, children: list[Any], meta: Any) -> Match:
            fields: Fields = {}
            generation = str(data)
            for child in children:
                if isinstance(child, Token):
                    fields[child.type] = str(child)
                else:
                    inner_gen, inner_fields = child
                    fields.update(inner_fields)
                    # The generation is the rule directly under ``start``; wrappers (such as a
                    # syslog prefix) name themselves in front of the inner one.
                    generation = inner_gen if generation == "start" else f"{generation}+{inner_gen}"
            return generation, fields

    return FieldsTransformer()


class HeaderGrammar:
    """A compiled header grammar: the lark parser and the fast matcher built from it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._lark: Lark | None = None
        # The compiled tables depend only on the grammar files: cache them across runs so
        # start-up does not pay for lark's grammar analysis (the LALR parser itself is only
        # built when the reference path is used).
        texts = sorted(p.read_text(encoding="utf-8") for p in grammar_dir().glob("*.lark"))
        # The compiler's own source is part of the key: a changed compiler must not reuse old tables.
        key = _cache.key_of("grammar", name, Path(__file__).read_bytes(), *texts)
        cached = _cache.load("grammar", key)
        if cached is None:
            cached = self._compile()
            _cache.store("grammar", key, cached)
        body, generations = cached
        self._generations: dict[str, tuple[str, tuple[int, ...], tuple[str, ...], bool]] = generations
        self.generation_names = [g[0] for g in self._generations.values()]
        # marker group name -> function(match) -> (generation, fields); see _extractor.
        self.extractors: dict[str, Callable[[re.Match[str]], Match]] = {
            marker: _extractor(*spec) for marker, spec in self._generations.items()
        }
        self._body = body
        self.pattern = re.compile(body + r"\Z")
        self._multiline: re.Pattern[str] | None = None

    @property
    def multiline(self) -> re.Pattern[str]:
        """The same branches over a whole text piece: one header per line, found in C.

        Compiled on first use: compiling these patterns is most of a grammar's start-up cost,
        and triage only needs ``pattern``.
        """
        if self._multiline is None:
            self._multiline = re.compile(f"^{self._body}$", re.MULTILINE)
        return self._multiline

    @property
    def lark(self) -> Lark:
        """The LALR parser with its inline transformer (built on first use)."""
        if self._lark is None:
            from lark import Lark
            from lark.exceptions import LarkError

            try:
                self._lark = Lark(
                    grammar_text(self.name),
                    parser="lalr",
                    lexer="contextual",
                    transformer=_fields_transformer(),
                    import_paths=[str(grammar_dir())],
                )
            except LarkError as exc:
                raise FormatError(f"grammar {self.name}.lark: {exc}") from exc
        return self._lark

    @property
    def terminals(self) -> dict[str, Any]:
        """The grammar's terminal definitions by name (from the lark parser)."""
        return {t.name: t for t in self.lark.terminals}

    def _compile(self) -> tuple[str, dict[str, tuple[str, tuple[int, ...], tuple[str, ...], bool]]]:
        from lark.grammar import NonTerminal, Terminal

        # Kept on the instance for the recursive helpers below (only used while compiling).
        self._nonterminal, self._terminal = NonTerminal, Terminal
        self._terminal_defs = self.terminals
        self._rules: dict[str, list[Rule]] = {}
        for rule in self.lark.rules:
            self._rules.setdefault(str(rule.origin.name), []).append(rule)
        # One pattern for all generations, tried in the order ``start`` lists them. Every
        # terminal occurrence gets its own group (``re`` forbids duplicate names); each
        # branch ends in an empty marker group, so ``lastgroup`` names the generation.
        self._groups: list[str] = []
        generations: dict[str, tuple[str, tuple[int, ...], tuple[str, ...], bool]] = {}
        branches: list[str] = []
        for exp in (r.expansion for r in self._rules["start"]):
            for generation, compile_branch in self._generation_branches(self._generation_name(exp)):
                # Compile one branch at a time so its groups are numbered in text order,
                # immediately followed by its marker.
                first = len(self._groups)
                pattern = compile_branch()
                marker = f"_g{len(generations)}"
                groups = tuple(range(first, len(self._groups)))
                names = tuple(self._groups[i] for i in groups)
                generations[marker] = (generation, tuple(g + 1 for g in groups), names, len(set(names)) != len(names))
                branches.append(f"{pattern}(?P<{marker}>)")
                self._groups.append(marker)
        return "(?:" + "|".join(branches) + ")", generations

    # -- compiling rules into one regex per generation --------------------------------
    def _generation_name(self, expansion: Sequence[Any]) -> str:
        if len(expansion) != 1 or not isinstance(expansion[0], self._nonterminal):
            raise FormatError(f"grammar {self.name}: every 'start' alternative must be one rule")
        return str(expansion[0].name)

    def _generation_branches(self, name: str) -> Iterator[tuple[str, Callable[[], str]]]:
        # A wrapper rule (``syslog: HDR (g3 | g2 ...)``) yields one branch per wrapped rule
        # so the fast path names the inner generation the way the transformer does.
        plain: list[list[Any]] = []
        for rule in self._rules[name]:
            inner = [s for s in rule.expansion if isinstance(s, self._nonterminal)]
            if len(inner) == 1:
                yield f"{name}+{inner[0].name}", functools.partial(
                    self._compile_expansion, rule.expansion, (name,)
                )
            else:
                plain.append(list(rule.expansion))
        if plain:
            yield name, lambda: _trie_to_regex(plain, lambda sym: self._compile_symbol(sym, (name,)))

    def _compile_symbol(self, sym: Any, stack: tuple[str, ...]) -> str:
        if isinstance(sym, self._terminal):
            pattern = self._terminal_defs[sym.name].pattern.to_regexp()
            if sym.filter_out:
                return f"(?:{pattern})"
            self._groups.append(sym.name)
            return f"({pattern})"
        name = str(sym.name)
        if name in stack:
            raise FormatError(f"grammar {self.name}: rule {name} is recursive; headers must be flat")
        return self._compile_rule(name, (*stack, name))

    def _compile_expansion(self, expansion: Sequence[Any], stack: tuple[str, ...]) -> str:
        return "".join(self._compile_symbol(sym, stack) for sym in expansion)

    def _compile_rule(self, name: str, stack: tuple[str, ...]) -> str:
        # Lark expands optional parts into alternatives, longest first; a prefix tree keeps
        # that order while matching each shared prefix once instead of once per alternative.
        return _trie_to_regex(
            [list(r.expansion) for r in self._rules[name]],
            lambda sym: self._compile_symbol(sym, stack),
        )

    # -- the two matchers ---------------------------------------------------------------
    def match(self, line: str) -> Match | None:
        """Fast path: the first generation whose branch matches the whole line.

        Optional terminals that did not take part map to None.
        """
        m = self.pattern.match(line)
        if m is None:
            return None
        return self.fields_of(m)

    def fields_of(self, m: re.Match[str]) -> Match:
        """``(generation, fields)`` of a match of ``pattern`` or ``multiline``."""
        return self.extractors[m.lastgroup](m)  # type: ignore[index]

    def parse_slow(self, line: str) -> Match | None:
        """Reference path: a full LALR parse of the line (about 30 us per line)."""
        from lark.exceptions import LarkError

        try:
            result: Any = self.lark.parse(line)
        except LarkError:
            return None
        return cast(Match, result)


def _extractor(
    generation: str, groups: tuple[int, ...], names: tuple[str, ...], duplicated: bool
) -> Callable[[re.Match[str]], Match]:
    """A function turning a match of one generation's branch into ``(generation, fields)``.

    It is generated as source, the way ``collections.namedtuple`` builds its methods: one
    ``group()`` call and one dict display per header line is the hot path of every line
    format, several times faster than zipping names and values in a loop. A terminal that
    appears in several alternatives takes the value of the one that took part.
    """
    positions: dict[str, list[int]] = {}
    for index, name in enumerate(names):
        positions.setdefault(name, []).append(index)
    items = []
    for name, indexes in positions.items():
        expr = "None"
        for i in reversed(indexes):
            expr = f"v[{i}]" if expr == "None" else f"(v[{i}] if v[{i}] is not None else {expr})"
        items.append(f"{name!r}: {expr}")
    values = f"m.group{groups!r}" if len(groups) > 1 else f"(m.group({groups[0]}),)"
    source = f"def extract(m):\n    v = {values}\n    return {generation!r}, {{{', '.join(items)}}}\n"
    namespace: dict[str, Any] = {}
    exec(source, namespace)  # noqa: S102 - source built from terminal names and ints only
    fn: Callable[[re.Match[str]], Match] = namespace["extract"]
    return fn


def _trie_to_regex(expansions: list[list[Any]], compile_symbol: Any) -> str:
    """Alternation of symbol sequences, factored by common prefix, alternatives kept in order."""
    children: dict[str, list[list[Any]]] = {}
    order: list[tuple[str, Any]] = []
    has_end = False
    for exp in expansions:
        if not exp:
            has_end = True
            continue
        key = repr(exp[0])
        if key not in children:
            children[key] = []
            order.append((key, exp[0]))
        children[key].append(exp[1:])
    parts: list[str] = [
        compile_symbol(sym) + _trie_to_regex(children[key], compile_symbol) for key, sym in order
    ]
    if not parts:
        return ""
    if has_end:
        parts.append("")
    if len(parts) == 1:
        return parts[0]
    return "(?:" + "|".join(parts) + ")"


@functools.cache
def load(name: str) -> HeaderGrammar:
    """The compiled header grammar of a format, built once per process."""
    return HeaderGrammar(name)

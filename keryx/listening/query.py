"""The listening query language: keywords, "exact phrases", AND / OR / NOT, parentheses,
#hashtags and @mentions. Adjacent terms mean AND. parse() says which part is wrong; a Query
matches a text locally (Unicode case folding, Greek accents ignored) and gives each network's
provider its terms to compile into that network's search syntax."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

MAX_QUERY = 1000


class QueryError(ValueError):
    """What is wrong, and where (the part and its position in the query)."""

    def __init__(self, message: str, part: str = "", position: int = 0) -> None:
        super().__init__(message)
        self.part = part
        self.position = position


def fold(text: str) -> str:
    """Lower case without accents or diacritics (ά→α, ϊ→ι, é→e), final sigma as sigma."""
    decomposed = unicodedata.normalize("NFD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", stripped).replace("ς", "σ")


_WORD = re.compile(r"[\w]+(?:['’.-][\w]+)*", re.UNICODE)


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


@dataclass(frozen=True)
class Term:
    kind: str  # "word" | "phrase" | "hashtag" | "mention"
    value: str  # as written (without # or @)

    def folded(self) -> list[str]:
        return words(self.value)


@dataclass(frozen=True)
class Node:
    op: str  # "and" | "or" | "not" | "term"
    children: tuple[Node, ...] = ()
    term: Term | None = None


@dataclass
class Query:
    text: str
    root: Node | None
    terms: list[Term] = field(default_factory=list)

    def positive_terms(self) -> list[Term]:
        """Terms not under a NOT (what a network's search is asked for)."""
        out: list[Term] = []

        def walk(node: Node | None, negated: bool) -> None:
            if node is None:
                return
            if node.op == "term" and node.term and not negated:
                out.append(node.term)
            for child in node.children:
                walk(child, negated ^ (node.op == "not"))
        walk(self.root, False)
        return out

    def negative_terms(self) -> list[Term]:
        positive = set(self.positive_terms())
        return [t for t in self.terms if t not in positive]

    def is_plain_and(self) -> bool:
        """True when the query is only terms joined by AND (some networks take nothing more)."""
        def walk(node: Node | None) -> bool:
            if node is None or node.op == "term":
                return True
            return node.op == "and" and all(walk(c) for c in node.children)
        return walk(self.root)

    def matches(self, text: str, hashtags: tuple[str, ...] | list[str] = (),
                mentions: tuple[str, ...] | list[str] = ()) -> bool:
        tokens = words(text)
        tags = {fold(t.lstrip("#")) for t in hashtags} | {
            fold(m[1:]) for m in re.findall(r"#[\w]+", text)}
        who = {fold(m.lstrip("@")) for m in mentions} | {
            fold(m[1:]) for m in re.findall(r"@[\w.@-]+", text)}
        who |= {w.split("@")[0] for w in who}
        return self.root is None or _eval(self.root, tokens, tags, who)


def _contains(tokens: list[str], seq: list[str]) -> bool:
    if not seq:
        return False
    n = len(seq)
    return any(tokens[i:i + n] == seq for i in range(len(tokens) - n + 1))


def _eval(node: Node, tokens: list[str], tags: set[str], who: set[str]) -> bool:
    if node.op == "term":
        term = node.term
        assert term is not None
        if term.kind == "hashtag":
            return fold(term.value) in tags
        if term.kind == "mention":
            value = fold(term.value)
            return value in who or value.split("@")[0] in who
        return _contains(tokens, term.folded())
    if node.op == "not":
        return not _eval(node.children[0], tokens, tags, who)
    if node.op == "and":
        return all(_eval(c, tokens, tags, who) for c in node.children)
    return any(_eval(c, tokens, tags, who) for c in node.children)


_TOKEN = re.compile(r'\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<q>"[^"]*"?)|(?P<w>[^\s()"]+))')


def _tokens(text: str) -> list[tuple[str, str, int]]:
    out = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            break
        start = m.start(m.lastgroup) if m.lastgroup else pos
        if m.group("lp"):
            out.append(("(", "(", start))
        elif m.group("rp"):
            out.append((")", ")", start))
        elif m.group("q") is not None:
            raw = m.group("q")
            if len(raw) < 2 or not raw.endswith('"'):
                raise QueryError(f'The phrase {raw} has no closing quote (").', raw, start)
            if not raw[1:-1].strip():
                raise QueryError('An empty phrase "" finds nothing; write words inside it.',
                                 raw, start)
            out.append(("phrase", raw[1:-1].strip(), start))
        else:
            word = m.group("w")
            if word in ("AND", "OR", "NOT"):
                out.append((word, word, start))
            elif word.startswith("#"):
                if not re.fullmatch(r"#\w+", word):
                    raise QueryError(f"{word} is not a hashtag (letters, digits, _ after #).",
                                     word, start)
                out.append(("hashtag", word[1:], start))
            elif word.startswith("@"):
                if not re.fullmatch(r"@[\w.-]+(@[\w.-]+)?", word):
                    raise QueryError(f"{word} is not a handle.", word, start)
                out.append(("mention", word[1:], start))
            elif word.startswith("-") and len(word) > 1:
                out.append(("NOT", "-", start))
                out.append(("word", word[1:], start + 1))
            else:
                out.append(("word", word, start))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, text: str, tokens: list[tuple[str, str, int]]) -> None:
        self.text = text
        self.tokens = tokens
        self.i = 0
        self.terms: list[Term] = []

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str, int]:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def parse_or(self) -> Node:
        parts = [self.parse_and()]
        while (t := self.peek()) and t[0] == "OR":
            self.take()
            self._need_operand("OR", t[2])
            parts.append(self.parse_and())
        return parts[0] if len(parts) == 1 else Node("or", tuple(parts))

    def parse_and(self) -> Node:
        parts = [self.parse_not()]
        while (t := self.peek()) and t[0] not in ("OR", ")"):
            if t[0] == "AND":
                self.take()
                self._need_operand("AND", t[2])
            parts.append(self.parse_not())
        return parts[0] if len(parts) == 1 else Node("and", tuple(parts))

    def _need_operand(self, op: str, pos: int) -> None:
        nxt = self.peek()
        if nxt is None or nxt[0] in ("OR", "AND", ")"):
            raise QueryError(f"{op} at position {pos + 1} has nothing after it.", op, pos)

    def parse_not(self) -> Node:
        t = self.peek()
        if t and t[0] == "NOT":
            self.take()
            self._need_operand("NOT", t[2])
            return Node("not", (self.parse_not(),))
        return self.parse_atom()

    def parse_atom(self) -> Node:
        t = self.peek()
        if t is None:
            raise QueryError("The query ends where a word was expected.", "", len(self.text))
        kind, value, pos = t
        if kind == "(":
            self.take()
            if (n := self.peek()) and n[0] == ")":
                raise QueryError(f"Empty parentheses at position {pos + 1}.", "()", pos)
            node = self.parse_or()
            close = self.peek()
            if close is None or close[0] != ")":
                raise QueryError(f"The parenthesis at position {pos + 1} is never closed.",
                                 "(", pos)
            self.take()
            return node
        if kind == ")":
            raise QueryError(f"A closing parenthesis at position {pos + 1} has no opening one.",
                             ")", pos)
        if kind in ("AND", "OR"):
            raise QueryError(f"{kind} at position {pos + 1} has nothing before it.", kind, pos)
        self.take()
        term = Term(kind, value)
        self.terms.append(term)
        return Node("term", term=term)


def parse(text: str) -> Query:
    """The parsed query; QueryError says which part is wrong. An empty query matches all (a
    search can be only hashtags, mentions or a domain)."""
    text = (text or "").strip()
    if len(text) > MAX_QUERY:
        raise QueryError(f"The query is {len(text)} characters; at most {MAX_QUERY}.",
                         text[MAX_QUERY:MAX_QUERY + 20], MAX_QUERY)
    tokens = _tokens(text)
    if not tokens:
        return Query(text, None, [])
    parser = _Parser(text, tokens)
    root = parser.parse_or()
    if parser.peek() is not None:
        kind, value, pos = parser.peek()  # type: ignore[misc]
        raise QueryError(f"Unexpected {value} at position {pos + 1}.", value, pos)
    return Query(text, root, parser.terms)


def combined(search_query: str, hashtags: list[str], mentions: list[str]) -> Query:
    """The query with the search's own hashtags and mentions OR-ed in."""
    extra = [f"#{h.lstrip('#')}" for h in hashtags] + [f"@{m.lstrip('@')}" for m in mentions]
    parts = ([f"({search_query})"] if search_query.strip() else []) + extra
    return parse(" OR ".join(parts))

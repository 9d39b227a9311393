"""The same person or company across sanctions lists and Tocsin's own actors.

Names differ in order ("ELHASSAN GAFFAR MOHAMMED" / "GAFFAR MOHAMMED ELHASSAN"), in
transliteration ("Abdelrahim Hamdan Dagalo" / "ABDUL RAHIM HAMDAN DAGALO"), in punctuation and
legal form ("Tradive General Trading LLC" / "L.L.C."). Matching has two stages:

1. **Blocking**: every name is cut into normalised tokens (rigour's name tokeniser, person
   prefixes and company forms removed, Arabic particles joined: "abdul rahim" -> "abdrahim"),
   and each token keyed by its phonetic code (metaphone). Two entities are compared only when
   they share two of the three rarest keys (or, for a one-word name, its rare key), so the work
   grows with the candidates, not with the product of the two lists.
2. **Scoring**: a fuzzy Dice coefficient over the two token bags (each token paired with its most
   similar counterpart by rapidfuzz ratio, order ignored); conflicting birth years halve it.

A pair scoring at least ``AUTO_THRESHOLD`` is merged at once (judgement "positive" by "auto",
which an analyst may reject); one at least ``SUGGEST_THRESHOLD`` waits for an analyst. Brothers
who share two of three names (Abdelrahim and Mohamed Hamdan Dagalo) score 2/3 and are never
merged without a person saying so. See docs/methods/sanctions.md.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from followthemoney import model
from followthemoney.exc import InvalidData
from normality import ascii_text
from rapidfuzz.fuzz import ratio
from rigour.names import remove_org_types, remove_person_prefixes, tokenize_name
from rigour.text.phonetics import metaphone

METHOD = "tocsin-names/1"
AUTO_THRESHOLD = 0.9
SUGGEST_THRESHOLD = 0.6
TOKEN_MIN_SIMILARITY = 0.8
BLOCKING_KEYS = 2  # candidates share two of an entity's three rarest keys
MAX_CANDIDATES = 50

_PARTICLES = {"abd", "abdel", "abdul", "abdal", "abu", "al", "el", "bin", "ibn", "wad"}
_ABD = re.compile(r"^ab(d|de|du|da)?(el|ul|al|l)?(?=[a-z]{3})")
_STOP = {"for", "of", "the", "and", "company", "co", "ltd", "limited", "llc", "l", "c"}


@dataclass(frozen=True)
class Named:
    """What matching needs of an entity: its id, schema, group, name token bags, birth years."""

    id: str
    schema: str
    group: str  # entities of the same group (one list) are never compared with each other
    names: tuple[tuple[str, ...], ...]
    birth_years: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Candidate:
    left: str
    right: str
    score: float


@lru_cache(maxsize=200_000)
def name_tokens(name: str, person: bool) -> tuple[str, ...]:
    """Comparable tokens of one name: ASCII, lower case, no prefixes, forms or stopwords."""
    text = remove_person_prefixes(name) if person else remove_org_types(name)
    text = ascii_text(text.replace("(", " ").replace(")", " ")) or text
    raw = [t for t in tokenize_name(text.lower()) if t]
    tokens: list[str] = []
    index = 0
    while index < len(raw):
        token = raw[index]
        # Join particles with the name they belong to: "abd al rahim" -> "abdalrahim".
        while token in _PARTICLES and index + 1 < len(raw):
            index += 1
            token += raw[index]
        index += 1
        token = _ABD.sub("abd", token)  # abdel/abdul/abdal/abd al -> abd
        if token not in _STOP:
            tokens.append(token)
    return tuple(tokens)


def named(entity_id: str, schema: str, names: Iterable[str], group: str,
          birth_dates: Iterable[str] = ()) -> Named:
    person = schema == "Person"
    bags = {name_tokens(n, person) for n in names if n and n.strip()}
    return Named(entity_id, schema, group, tuple(sorted(b for b in bags if b)),
                 frozenset(d[:4] for d in birth_dates if d))


def from_proxy(entity: object, group: str) -> Named:
    """A :class:`Named` of an FtM proxy, with its names, aliases and birth dates."""
    names = [*entity.get("name"), *entity.get("alias")]  # type: ignore[attr-defined]
    births = entity.get("birthDate", quiet=True)  # type: ignore[attr-defined]
    return named(entity.id, entity.schema.name, names, group, births)  # type: ignore[attr-defined]


@lru_cache(maxsize=64)
def compatible(left: str, right: str) -> bool:
    """Whether two schemata can describe the same thing (Person never matches Company)."""
    if left == right:
        return True
    try:
        model.common_schema(left, right)
    except InvalidData:
        return False
    return True


@lru_cache(maxsize=500_000)
def _token_similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0
    return ratio(a, b) / 100.0


def bag_score(left: Sequence[str], right: Sequence[str], floor: float = 0.0) -> float:
    """Fuzzy Dice: tokens paired greedily by similarity, order ignored. Below ``floor`` it
    may answer 0 without pairing (bags too different in size to reach it)."""
    if not left or not right:
        return 0.0
    if 2.0 * min(len(left), len(right)) / (len(left) + len(right)) < floor:
        return 0.0
    pairs = sorted(((_token_similarity(a, b), i, j) for i, a in enumerate(left)
                    for j, b in enumerate(right)), reverse=True)
    used_left, used_right, total = set(), set(), 0.0
    for similarity, i, j in pairs:
        if similarity < TOKEN_MIN_SIMILARITY:
            break
        if i in used_left or j in used_right:
            continue
        used_left.add(i)
        used_right.add(j)
        total += similarity
    return 2.0 * total / (len(left) + len(right))


def score(left: Named, right: Named, floor: float = 0.0) -> float:
    """The pair's score in [0, 1]; ``floor`` lets hopeless name pairs be skipped."""
    if not compatible(left.schema, right.schema):
        return 0.0
    best = max((bag_score(a, b, floor) for a in left.names for b in right.names), default=0.0)
    if left.birth_years and right.birth_years and not (left.birth_years & right.birth_years):
        best *= 0.5  # born in different years: different people, whatever the names
    return round(best, 4)


@lru_cache(maxsize=200_000)
def _key(token: str) -> str:
    return metaphone(token) or token


def blocking_keys(entity: Named) -> set[str]:
    return {_key(token) for bag in entity.names for token in bag}


class BlockingIndex:
    """Phonetic token keys -> entities, to find the candidates of an entity in a large list.

    A candidate shares two of the entity's three rarest keys (set intersections, in C); a name
    with a single key, or whose pairs find nobody, falls back to its rarest key's entities
    when they are few. So "Mohamed" alone never pulls in every Mohamed of the list.
    """

    def __init__(self, entities: Iterable[Named]) -> None:
        self.entities: dict[str, Named] = {}
        self.postings: dict[str, set[str]] = defaultdict(set)
        self.exact: dict[tuple[str, ...], list[str]] = defaultdict(list)  # sorted bag -> ids
        for entity in entities:
            self.entities[entity.id] = entity
            for key in blocking_keys(entity):
                self.postings[key].add(entity.id)
            for bag in entity.names:
                self.exact[tuple(sorted(bag))].append(entity.id)

    def candidates(self, entity: Named) -> set[str]:
        keys = sorted((k for k in blocking_keys(entity) if k in self.postings),
                      key=lambda k: len(self.postings[k]))[:BLOCKING_KEYS + 1]
        found: set[str] = set()
        for i, first in enumerate(keys):
            for second in keys[i + 1:]:
                found |= self.postings[first] & self.postings[second]
        if not found and keys and len(self.postings[keys[0]]) <= MAX_CANDIDATES:
            found = set(self.postings[keys[0]])
        return found

    def best(self, entity: Named, threshold: float = AUTO_THRESHOLD) -> Candidate | None:
        """The best-scoring entity of another group, or None below ``threshold``. A name whose
        normalised tokens equal another's (any order) is that match at once: nothing scores
        higher, so the fuzzy pass is skipped."""
        for bag in entity.names:
            for other_id in self.exact.get(tuple(sorted(bag)), ()):
                other = self.entities[other_id]
                if other.group != entity.group and compatible(entity.schema, other.schema) \
                        and score(entity, other) >= threshold:
                    left, right = sorted((entity.id, other.id))
                    return Candidate(left, right, 1.0)
        found = self.match(entity, threshold)
        return found[0] if found else None

    def match(self, entity: Named, threshold: float = SUGGEST_THRESHOLD) -> list[Candidate]:
        """Entities of other groups scoring at least ``threshold``, best first."""
        out = []
        for other_id in sorted(self.candidates(entity)):
            other = self.entities[other_id]
            if other.id == entity.id or other.group == entity.group:
                continue
            value = score(entity, other, threshold)
            if value >= threshold:
                left, right = sorted((entity.id, other.id))
                out.append(Candidate(left, right, value))
        out.sort(key=lambda c: -c.score)
        return out[:MAX_CANDIDATES]


def candidates(entities: Sequence[Named], threshold: float = SUGGEST_THRESHOLD) -> list[Candidate]:
    """Every cross-group pair among ``entities`` scoring at least ``threshold``, once."""
    index = BlockingIndex(entities)
    found: dict[tuple[str, str], Candidate] = {}
    for entity in entities:
        for candidate in index.match(entity, threshold):
            found.setdefault((candidate.left, candidate.right), candidate)
    return sorted(found.values(), key=lambda c: (-c.score, c.left, c.right))


def clusters(ids: Iterable[str], positive: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Union-find over confirmed pairs: entity id -> its cluster's canonical id (the smallest)."""
    parent = {i: i for i in ids}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in positive:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {i: find(i) for i in list(parent)}

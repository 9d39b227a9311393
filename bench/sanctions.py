"""Benchmark: resolving 100,000 sanctions-list entries against 10,000 actors, Tocsin's blocked
matcher (tocsin.accountability.resolve) against a naive all-pairs rapidfuzz comparison
(`process.cdist` with `token_sort_ratio`, every entry against every actor), with precision and
recall of both on the generated truth.

    .venv/bin/python bench/sanctions.py [--entries 100000] [--actors 10000] [--seed 15]

The data: the real designations in ../shared/data/sanctions-sudan (UN, UK, US) plus synthetic
identities built from the same name tokens, 10,000 actors in all. Each list entry is either a
variant of one actor (token order shuffled, transliteration swapped - Mohamed/Muhammad,
Abdel/Abdul, Dagalo/Daglo -, case and punctuation changed, legal forms rewritten) or a distractor
that is nobody's variant. The truth is which actor each entry was made from. A match is the best
actor scoring at or above the contender's threshold (Tocsin's automatic-merge threshold 0.9;
rapidfuzz 90). Each contender runs in its own process (peak memory its own); the ratio is the
baseline's time over Tocsin's.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import DATA, OUT, measure

SWAPS = {
    "mohamed": ["mohammed", "muhammad", "mohammad"], "abdel": ["abdul", "abd al", "abd el"],
    "abdelrahim": ["abdul rahim", "abd al-rahim"], "dagalo": ["daglo", "dagolo"],
    "musa": ["moussa", "mousa"], "osman": ["othman", "usman"], "hamid": ["hameed"],
    "ibrahim": ["ebrahim"], "ahmed": ["ahmad"], "hassan": ["hasan"], "yousif": ["yusuf", "youssef"],
    "abdallah": ["abdullah", "abd allah"], "juma": ["jumaa", "jumah"], "ali": ["aly"],
    "ltd": ["limited"], "co": ["company"], "llc": ["l.l.c."],
}
FIRST = ["mohamed", "ahmed", "osman", "ibrahim", "hassan", "yousif", "musa", "ali", "omar",
         "khalid", "adam", "idris", "abdallah", "hamid", "suleiman", "ismail", "tijani", "bakri",
         "salih", "jibril", "mustafa", "abbas", "babiker", "elnour", "haroun", "ishag", "yahya"]
LAST = ["hamdan", "dagalo", "juma", "barkalla", "hilal", "mayu", "elhassan", "karti", "burhan",
        "gedo", "nashuk", "zeir", "adam", "bashir", "taha", "nafie", "ghandour", "haroun", "kushayb",
        "abakar", "tamim", "fadul", "arbab", "daoud", "mahamid", "rizeigat", "zaghawa", "fur"]
COMPANY = ["gold", "mining", "trading", "general", "advanced", "works", "capital", "tap",
           "technology", "systems", "holding", "investment", "international", "logistics",
           "transport", "petroleum", "aviation", "services", "engineering", "solutions", "red",
           "rock", "sahara", "nile", "desert", "horizon", "alpha", "star", "defense", "industries"]
FORMS = ["co ltd", "company limited", "llc", "l.l.c.", "ltd", ""]


def real_names() -> list[tuple[str, str]]:
    """(schema, name) of every designated person and company in the real lists."""
    from tocsin.accountability.sanctions import parse_file

    out = []
    for path in sorted((DATA / "sanctions-sudan").iterdir()):
        for entity in parse_file(path).entities:
            if entity.schema.name != "Sanction":
                out.append((entity.schema.name, entity.first("name") or ""))
    return out


def make_data(entries: int, actors: int, seed: int) -> dict[str, list]:  # type: ignore[type-arg]
    rnd = random.Random(seed)
    identities: dict[tuple[str, ...], tuple[str, str]] = {}
    for schema, name in real_names():
        identities.setdefault(tuple(sorted(name.lower().split())), (schema, name))

    def synthetic() -> tuple[str, str]:
        if rnd.random() < 0.75:
            return "Person", " ".join([rnd.choice(FIRST), *rnd.sample(FIRST, rnd.randint(0, 1)),
                                       *rnd.sample(LAST, rnd.randint(1, 2))])
        words = rnd.sample(COMPANY, rnd.randint(2, 3))
        return "Company", " ".join([rnd.choice(LAST).title(), *words, rnd.choice(FORMS)]).strip()

    while len(identities) < actors * 2:  # actors, and as many distractors
        schema, name = synthetic()
        identities.setdefault(tuple(sorted(name.lower().split())), (schema, name))
    people = list(identities.values())
    rnd.shuffle(people)
    actor_list, distractors = people[:actors], people[actors:]

    def variant(name: str) -> str:
        tokens = name.lower().replace("-", " ").split()
        tokens = [rnd.choice(SWAPS[t]) if t in SWAPS and rnd.random() < 0.5 else t for t in tokens]
        if rnd.random() < 0.5:
            rnd.shuffle(tokens)
        text = " ".join(tokens)
        return text.upper() if rnd.random() < 0.3 else text.title()

    listed = []
    for _ in range(entries):
        if rnd.random() < 0.6:
            index = rnd.randrange(actors)
            schema, name = actor_list[index]
            listed.append((schema, variant(name), index))
        else:
            schema, name = rnd.choice(distractors)
            listed.append((schema, variant(name), -1))
    return {"actors": actor_list, "entries": listed}


TOCSIN = r'''
import json, sys, time
from tocsin.accountability.resolve import AUTO_THRESHOLD, BlockingIndex, named
data = json.load(open(sys.argv[1]))
start = time.perf_counter()
index = BlockingIndex(named(f"a{i}", s, [n], "actors") for i, (s, n) in enumerate(data["actors"]))
found = []
for j, (schema, name, _) in enumerate(data["entries"]):
    best = index.best(named(f"e{j}", schema, [name], "list"), AUTO_THRESHOLD)
    found.append(int((best.left if best.left.startswith("a") else best.right)[1:])
                 if best else -1)
seconds = time.perf_counter() - start
json.dump(found, open(sys.argv[2], "w"))  # not stdout: a pipe this large would block the child
import resource
print(json.dumps({"seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
'''

BASELINE = r'''
import json, sys, time
import numpy as np
from rapidfuzz import fuzz, process, utils
data = json.load(open(sys.argv[1]))
start = time.perf_counter()
actors = [n for _, n in data["actors"]]
names = [n for _, n, _ in data["entries"]]
found = []
for low in range(0, len(names), 2000):  # all pairs, in row blocks that fit in memory
    scores = process.cdist(names[low:low + 2000], actors, scorer=fuzz.token_sort_ratio,
                           processor=utils.default_process, dtype=np.uint8, workers=-1)
    best = scores.argmax(axis=1)
    found += [int(b) if scores[i, b] >= 90 else -1 for i, b in enumerate(best)]
seconds = time.perf_counter() - start
json.dump(found, open(sys.argv[2], "w"))
import resource
print(json.dumps({"seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
'''


def quality(found: list[int], truth: list[int]) -> tuple[float, float]:
    true_positive = sum(1 for f, t in zip(found, truth, strict=True) if f >= 0 and f == t)
    predicted = sum(1 for f in found if f >= 0)
    relevant = sum(1 for t in truth if t >= 0)
    return true_positive / max(predicted, 1), true_positive / max(relevant, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--actors", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    data = make_data(args.entries, args.actors, args.seed)
    path = OUT / f"sanctions-{args.entries}-{args.actors}.json"
    path.write_text(json.dumps(data))
    truth = [t for _, _, t in data["entries"]]
    print(f"{args.entries:,} list entries ({sum(t >= 0 for t in truth):,} variants of actors) "
          f"against {args.actors:,} actors; data made in {time.perf_counter() - started:.1f}s")
    results = {}
    for label, code in (("tocsin (blocked, resolve.py)", TOCSIN),
                        ("naive all-pairs rapidfuzz token_sort_ratio", BASELINE)):
        found_path = path.with_suffix(".found.json")
        wall, peak, stdout = measure([sys.executable, "-c", code, str(path), str(found_path)])
        out = json.loads(stdout)
        precision, recall = quality(json.loads(found_path.read_text()), truth)
        results[label] = out["seconds"]
        peak = max(peak, out["peak_mb"])  # the child's own high-water mark, as it saw it
        print(f"{label:45s} {out['seconds']:8.1f} s matching ({wall:6.1f} s with loading), "
              f"peak {peak:7.1f} MB, precision {precision:.3f}, recall {recall:.3f}")
    ours, naive = results.values()
    print(f"ratio: the naive all-pairs comparison takes {naive / ours:.1f}x Tocsin's time")


if __name__ == "__main__":
    main()

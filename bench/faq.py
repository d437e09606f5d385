"""How well the search answers what applicants type: accuracy and time per question.

The questions are ``tests/data/faq_eval.csv``: written as a 15-year-old in Norilsk types
them (typos, no punctuation, slang, Latin letters, English) before the search was tuned,
each with the answer it should get: an FAQ entry (``faq:<index>``), a specialty
(``specialty:<code>``), a college (``college:<id>``), a section of «How to apply»
(``howto:dates|documents|ranking|gosuslugi``), a list (``list:specialties|colleges``),
``cluster``, ``contacts``, ``greeting``, ``thanks``, or ``person`` for what the bot does not
know (the question must go to the admission office). ``a|b`` accepts either. About 30%
of the questions are marked ``holdout``: the search was tuned on the ``dev`` part only.

Printed: top-1 (the answer shown directly is right; for ``person``, no answer is shown),
top-3 (the right answer is among the answer and the two «did you mean» suggestions), the
share of ``person`` questions sent to a person, and the 95th percentile of the time one
question takes (the index built beforehand, once, as the bot does per catalogue version).
``--failures dev`` lists the development questions answered wrongly.

Usage::

    python bench/faq.py [--failures dev] [--repeat 5]

The last line of the output is ``key=value`` pairs for scripts.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.domain.catalog import Catalog, default_catalog_bytes, parse_catalog
from bot.domain.search import Reply, ReplyKind, SearchIndex

EVAL_FILE = Path(__file__).resolve().parent.parent / "tests" / "data" / "faq_eval.csv"
PERSON = "person"

# What the issue asks of the search (tests/test_search.py asserts them on the whole set).
TARGETS = {"top1": 0.85, "top3": 0.95, "person": 0.90, "p95_ms": 20.0}


@dataclass(frozen=True, slots=True)
class Question:
    text: str
    expected: frozenset[str]
    split: str  # dev | holdout


@dataclass(frozen=True, slots=True)
class Score:
    count: int
    top1: float
    top3: float
    person: float  # share of person-only questions sent to a person
    failures: tuple[tuple[Question, str], ...]


def load_questions(path: Path = EVAL_FILE) -> list[Question]:
    with path.open(encoding="utf-8", newline="") as file:
        return [
            Question(row["question"], frozenset(row["expected"].split("|")), row["split"])
            for row in csv.DictReader(file)
        ]


def default_catalog() -> Catalog:
    catalog, problems = parse_catalog(default_catalog_bytes())
    assert catalog is not None, problems
    return catalog


def answered(reply: Reply) -> list[str]:
    """What the user is shown: the answer first (or ``person``), then the suggestions."""
    if reply.kind in (ReplyKind.greeting, ReplyKind.thanks):
        return [str(reply.kind)]
    ids = [hit.target.id for hit in reply.hits]
    if reply.kind is ReplyKind.answer:
        return ids
    return [PERSON, *ids]


def grade(index: SearchIndex, questions: Sequence[Question]) -> Score:
    top1 = top3 = person_total = person_right = 0
    failures = []
    for question in questions:
        question = _current(question, index)
        shown = answered(index.ask(question.text))
        first = shown[0] in question.expected
        top1 += first
        top3 += bool(question.expected & set(shown[:3]))
        if question.expected == {PERSON}:
            person_total += 1
            person_right += shown[0] == PERSON
        if not first:
            failures.append((question, " ".join(shown[:3])))
    count = len(questions) or 1
    return Score(
        count=len(questions),
        top1=top1 / count,
        top3=top3 / count,
        person=person_right / person_total if person_total else 1.0,
        failures=tuple(failures),
    )


def _current(question: Question, index: SearchIndex) -> Question:
    """The question expecting a specialty by its current code, when the catalogue has renamed
    it (``former_codes``): the set stays right when a code changes."""
    expected = frozenset(
        f"specialty:{index.renamed[e.split(':', 1)[1]]}"
        if e.startswith("specialty:") and e.split(":", 1)[1] in index.renamed
        else e
        for e in question.expected
    )
    return Question(question.text, expected, question.split)


def p95_ms(index: SearchIndex, questions: Sequence[Question], repeat: int) -> float:
    """The 95th percentile of one question's time, each question asked ``repeat`` times
    (the first time of a word is included: its dictionary form is then remembered)."""
    times = []
    for _ in range(repeat):
        for question in questions:
            start = time.perf_counter()
            index.ask(question.text)
            times.append((time.perf_counter() - start) * 1000)
    return statistics.quantiles(times, n=100)[94]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--failures", choices=("dev", "holdout", "all"), default=None)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    questions = load_questions()
    start = time.perf_counter()
    index = SearchIndex(default_catalog())
    build_ms = (time.perf_counter() - start) * 1000
    latency = p95_ms(index, questions, args.repeat)
    scores = {
        name: grade(index, [q for q in questions if name == "all" or q.split == name])
        for name in ("all", "dev", "holdout")
    }
    print(f"questions: {len(questions)} (dev {scores['dev'].count}, "
          f"holdout {scores['holdout'].count}); index built in {build_ms:.0f} ms")  # fmt: skip
    for name, score in scores.items():
        print(
            f"{name:8} top-1 {score.top1:.1%}  top-3 {score.top3:.1%}  "
            f"out of scope to a person {score.person:.1%}"
        )
    print(f"p95 time per question: {latency:.2f} ms")
    if args.failures:
        for question, shown in scores[args.failures].failures:
            if args.failures == "all" or question.split == args.failures:
                print(f"  {question.text!r}: expected {'|'.join(sorted(question.expected))}, "
                      f"got {shown}")  # fmt: skip
    total, dev, holdout = scores["all"], scores["dev"], scores["holdout"]
    print(
        f"top1={total.top1:.3f} top3={total.top3:.3f} person={total.person:.3f} "
        f"p95_ms={latency:.2f} dev_top1={dev.top1:.3f} holdout_top1={holdout.top1:.3f} "
        f"holdout_top3={holdout.top3:.3f} holdout_person={holdout.person:.3f} "
        f"questions={total.count} build_ms={build_ms:.0f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A search over everything the bot knows, for questions typed in free text.

Built once per catalogue version from its FAQ, specialty cards, colleges, the campaign
dates and the sections of «How to apply»; it only ever points at that content and never
makes an answer up. A typed question is matched word by word:

- Russian words by their dictionary form (pymorphy3: «сварщиком» → «сварщик»);
- English words by their stem (Snowball: «dormitories» → «dormitori»);
- Latin letters that are not English are read as Russian typed in Latin («obshaga»);
- a word the catalogue does not have is matched to the nearest one that it has, by edit
  distance or as the beginning of a word (rapidfuzz: «маркшейдр», «стипендя», «свар»);
- slang and short forms through the catalogue's ``[[synonyms]]`` («общага» → «общежитие»).

The score of an entry is the share of the question it covers: each word weighs by how
rare it is in the catalogue (a word found nowhere weighs like the rarest), question words
(«когда», «сколько») weigh little, filler words nothing. A word in a title (an FAQ question,
a specialty's name, a college's name) counts fully, in the body half. A question whose
best entry covers too little of it is for a person: the handler offers the relay.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

import pymorphy3
import snowballstemmer
from rapidfuzz import fuzz, process

from bot.domain.catalog import Campaign, Catalog, Specialty, SpecialtyKind

# --- what an answer can be --------------------------------------------------------------


class TargetKind(StrEnum):
    faq = "faq"  # key: the entry's index in the catalogue
    specialty = "specialty"  # key: its code
    college = "college"  # key: its id
    howto = "howto"  # key: a HowtoSection
    list = "list"  # key: a ListKind
    cluster = "cluster"  # what the cluster is (the main menu's text)
    contacts = "contacts"  # how to reach the admission committee


class HowtoSection(StrEnum):
    dates = "dates"
    documents = "documents"
    ranking = "ranking"
    gosuslugi = "gosuslugi"


class ListKind(StrEnum):
    specialties = "specialties"
    colleges = "colleges"


@dataclass(frozen=True, slots=True)
class Target:
    kind: TargetKind
    key: str = ""

    @property
    def id(self) -> str:
        """``faq:3``, ``specialty:13.02.07``, ``college:taimyr``, ``howto:dates``, ``cluster``."""
        return f"{self.kind}:{self.key}" if self.key else str(self.kind)


@dataclass(frozen=True, slots=True)
class Hit:
    target: Target
    score: float  # 0..1: how much of the question this entry covers


class ReplyKind(StrEnum):
    answer = "answer"  # the best hit covers the question: show it
    unsure = "unsure"  # nothing covers it well: offer a person (and the hits, if any)
    greeting = "greeting"
    thanks = "thanks"
    empty = "empty"  # no word to search by («ну», «?», «ок»)


@dataclass(frozen=True, slots=True)
class Reply:
    kind: ReplyKind
    hits: tuple[Hit, ...] = ()
    normalized: str = ""  # the question's words in dictionary form, sorted: groups repeats

    @property
    def best(self) -> Hit | None:
        return self.hits[0] if self.hits else None


# Thresholds on a hit's score (see the module's docstring). Set on the development part of
# tests/data/faq_eval.csv (bench/faq.py), never on single questions.
ANSWER_SCORE = 0.56
# A lower score still answers when no other entry comes close: the question is about it.
CLEAR_SCORE = 0.4
CLEAR_MARGIN = 1.6
SUGGEST_SCORE = 0.3
MAX_HITS = 3

TITLE_WEIGHT = 1.0
KEYWORD_WEIGHT = 0.8  # what a screen is about, in applicants' words (SECTION_WORDS)
BODY_WEIGHT = 0.6
VERB_FACTOR = 0.5  # «дают», «берут», «платят»: the nouns say what a question is about
WEAK_FACTOR = 0.3  # a question word: it helps to choose, it does not make a match
FUZZY_PENALTY = 0.9  # a word matched by edit distance counts a little less than itself
PREFIX_SIMILARITY = 0.75  # «свар» → «сварщик»
MIN_FUZZY_LENGTH = 4
MIN_PREFIX_LENGTH = 4
MAX_QUERY_CHARS = 300  # the beginning of a long message is what it asks

# --- words ------------------------------------------------------------------------------

_TOKEN = re.compile(r"\d{2}\.\d{2}(?:\.\d{2})?|[^\W_]+")
_CODE = re.compile(r"^\d{2}\.\d{2}\.\d{2}$")
_CODE_PREFIX = re.compile(r"^\d{2}\.\d{2}$")
_LATIN = re.compile(r"^[a-z0-9]+$")
_CYRILLIC = re.compile(r"[а-я]")

RU_STOP = frozenset(
    """
    а и в во на с со к ко по о об обо от до из у за для при про без над под через же ли ль
    бы б не ни то это этот эта эти тот та те вот так там тут здесь ну да нет ой ах ага еще уже
    вообще просто очень тоже также или либо но что чтобы чтоб если как я мы ты вы он она оно
    они мой моя мое мои наш ваш твой свой меня мне нас вас нам вам себя его ее их ей ему им
    быть есть был была были будет будут мочь хотеть хотеться знать сказать подсказать
    подскажите скажите пожалуйста плиз пж пжл плз кароч короче че чо ща щас типа блин ребята
    ребят люди всем весь все нибудь интересно интересовать вопрос узнать спросить такой такая
    такие какой-то кстати сейчас потом тогда вдруг разве неужели лишь только даже уж ведь
    сам сама сами самый здравствовать
    """.split()
)
EN_STOP = frozenset(
    """
    a an the is are am be been was were do does did i me my you your we our us there here
    to of in on at for with and or but can could will would should shall may might it its
    this that these those what which who whom get got have has had please any some about
    after from as by if so want know tell anything something im dont also just really then
    than into out up s t very too
    """.split()
)
# Question words: they help to choose between entries, they do not make a match.
RU_WEAK = frozenset("когда сколько где куда какой каков кто можно нужно надо нужный".split())
EN_WEAK = frozenset("when where how many much need".split())

GREETINGS = frozenset(
    """
    привет приветик приветствую здравствуйте здравствуй здрасте здрасьте здрасти хай салют
    ку йо hi hello hey hiya
    """.split()
)
THANKS = frozenset(
    "спасибо спасибочки спс пасиб пасибо спасиб благодарю благодарствую thanks thank thx ty".split()
)
# Words that go with a greeting or thanks and ask nothing: «добрый день», «спасибо большое».
_POLITE = frozenset(
    """
    добрый доброе день вечер утро good morning afternoon evening большое огромное much you
    понятно ясно ок окей ok okay
    """.split()
)
_ONLY_POLITE = GREETINGS | THANKS | _POLITE | RU_STOP | EN_STOP

# Russian typed in Latin letters: the longest letter group first.
_TRANSLIT = (
    ("shch", "щ"), ("sch", "щ"), ("zh", "ж"), ("kh", "х"), ("ts", "ц"), ("ch", "ч"),
    ("sh", "ш"), ("iya", "ия"), ("iye", "ие"), ("iyu", "ию"), ("yu", "ю"), ("ya", "я"),
    ("yo", "ё"), ("ju", "ю"), ("ja", "я"), ("iy", "ий"), ("yy", "ый"), ("a", "а"), ("b", "б"),
    ("c", "к"), ("d", "д"), ("e", "е"), ("f", "ф"), ("g", "г"), ("h", "х"), ("i", "и"),
    ("j", "й"), ("k", "к"), ("l", "л"), ("m", "м"), ("n", "н"), ("o", "о"), ("p", "п"),
    ("q", "к"), ("r", "р"), ("s", "с"), ("t", "т"), ("u", "у"), ("v", "в"), ("w", "в"),
    ("x", "кс"), ("y", "ы"), ("z", "з"),
)  # fmt: skip


def fold(text: str) -> str:
    return text.casefold().replace("ё", "е")


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(fold(text))


def transliterate(word: str) -> list[str]:
    """A Latin word read as Russian: «obshaga» → «обшага»; a first «e» may be «е» or «э»
    («est» → «ест», «elektrik» → «электрик»): both readings, the «е» one first."""
    out = []
    i = 0
    while i < len(word):
        for latin, cyrillic in _TRANSLIT:
            if word.startswith(latin, i):
                out.append(cyrillic)
                i += len(latin)
                break
        else:
            out.append(word[i])
            i += 1
    reading = "".join(out).replace("ё", "е")
    return [reading, "э" + reading[1:]] if reading.startswith("е") else [reading]


# Spoken spellings of question words.
COLLOQUIAL = {"скока": "сколько", "скоко": "сколько", "сколька": "сколько", "када": "когда",
              "кагда": "когда", "нада": "надо", "ваще": "вообще", "шо": "что"}  # fmt: skip


class Morphology:
    """Dictionary forms of Russian words and stems of English ones, remembered."""

    def __init__(self) -> None:
        self._analyzer = pymorphy3.MorphAnalyzer(lang="ru")
        self._english = snowballstemmer.stemmer("english")
        self.analyse = lru_cache(maxsize=50_000)(self._analyse)
        self.stem = lru_cache(maxsize=20_000)(self._stem)

    def _analyse(self, word: str) -> tuple[str, bool]:
        """The dictionary form of a Russian word, and whether it is a verb."""
        if not _CYRILLIC.search(word):
            return word, False
        parse = self._analyzer.parse(word)[0]
        return fold(parse.normal_form), parse.tag.POS in _VERBS

    def lemma(self, word: str) -> str:
        return self.analyse(word)[0]

    def _stem(self, word: str) -> str:
        return str(self._english.stemWord(word))

    def term(self, word: str) -> str:
        """The index form of a word of the catalogue."""
        if _CODE.match(word) or word.isdigit():
            return word
        if _LATIN.match(word):
            return self.stem(word)
        return self.lemma(word)


_VERBS = frozenset({"VERB", "INFN", "GRND", "PRTF", "PRTS"})


@lru_cache(maxsize=1)
def morphology() -> Morphology:
    """One analyser per process: loading the dictionaries takes a moment and some memory."""
    return Morphology()


# --- what each entry is about -------------------------------------------------------------

# The sections of «How to apply» and the other screens, in words applicants use. Facts are
# not here: the dates and documents come from the catalogue; these only say what a screen
# is about, so that a question finds it.
SECTION_WORDS: dict[Target, tuple[tuple[str, ...], tuple[str, ...]]] = {
    Target(TargetKind.howto, HowtoSection.dates): (
        (
            "Сроки приёма и подачи документов: когда подавать документы, даты приёма",
            "Admission dates: when to apply, deadlines",
        ),
        (
            "когда подать, начало и конец приёма, до какого числа принимают, последний день, "
            "дедлайн, "
            "оригинал аттестата, приказ о зачислении, зачисление, дополнительный приём",
            "start and end of acceptance, last day, deadline, original certificate, "
            "enrollment order, enrolment, extra acceptance",
        ),
    ),
    Target(TargetKind.howto, HowtoSection.documents): (
        (
            "Документы для поступления: какие документы нужны, список документов",
            "Documents for admission: what documents you need, list of documents",
        ),
        ("что взять с собой, что принести", "what to bring"),
    ),
    Target(TargetKind.howto, HowtoSection.ranking): (
        (
            "Как распределяют бюджетные места: конкурс по среднему баллу аттестата, отбор",
            "How places are given: ranking by the average certificate score, selection",
        ),
        (
            "экзаменов нет, ОГЭ и ЕГЭ не учитываются, поступление бесплатное, можно подать в "
            "несколько колледжей, кого берут, оценки",
            "no exams, OGE and EGE do not count, admission is free, apply to several colleges, "
            "who is admitted, marks",
        ),
    ),
    Target(TargetKind.howto, HowtoSection.gosuslugi): (
        (
            "Подать заявление через Госуслуги онлайн",
            "Apply online on Gosuslugi",
        ),
        (
            "пилотный проект Поступление в СПО онлайн, Красноярский край, без бумажных копий",
            "pilot Admission to vocational colleges online, Krasnoyarsk Krai, no paper copies",
        ),
    ),
    Target(TargetKind.list, ListKind.specialties): (
        (
            "Список специальностей и профессий: какие специальности есть",
            "List of specialties and professions: what specialties there are",
        ),
        (
            "куда можно поступить, на кого учиться, выучиться, направления обучения, после 9 "
            "класса, после 11 класса",
            "what to study, which courses, programmes, after 9th grade, after 11th grade",
        ),
    ),
    Target(TargetKind.list, ListKind.colleges): (
        (
            "Список колледжей кластера: какие колледжи и техникумы",
            "List of colleges of the cluster: which colleges",
        ),
        ("где учиться, учебные заведения", "where to study, schools"),
    ),
    Target(TargetKind.cluster): (
        (
            "Что такое кластер и Профессионалитет",
            "What the cluster and Professionalitet are",
        ),
        ("федеральный проект, работодатель", "federal project, employer"),
    ),
    Target(TargetKind.contacts): (
        (
            "Контакты приёмной комиссии: телефон, адрес, как связаться",
            "Contacts of the admission office: phone, address, how to reach",
        ),
        ("позвонить, написать, e-mail, сайт", "call, write, e-mail, website"),
    ),
}

_MONTHS = {
    "ru": ("января февраля марта апреля мая июня июля августа сентября октября ноября "
           "декабря").split(),
    "en": "January February March April May June July August September October November "
    "December".split(),
}  # fmt: skip


def _campaign_dates(campaign: Campaign) -> list[str]:
    days = [
        campaign.acceptance_start,
        campaign.acceptance_end,
        campaign.acceptance_end_with_tests,
        campaign.originals_deadline,
        campaign.enrollment_order,
        campaign.extra_acceptance_end,
    ]
    out = [str(campaign.year)]
    for day in days:
        if day is not None:
            out += [f"{day.day} {_MONTHS['ru'][day.month - 1]}",
                    f"{day.day} {_MONTHS['en'][day.month - 1]}"]  # fmt: skip
    return out


@dataclass
class _Entry:
    target: Target
    title: list[str] = field(default_factory=list)
    body: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)


def _texts(*texts: object) -> list[str]:
    """Both languages of catalogue texts (``Text``), skipping what is missing."""
    out: list[str] = []
    for text in texts:
        if text is None:
            continue
        if isinstance(text, str):
            out.append(text)
            continue
        ru, en = getattr(text, "ru", None), getattr(text, "en", None)
        out += [t for t in (ru, en) if t]
    return out


def _specialty_entry(catalog: Catalog, specialty: Specialty) -> _Entry:
    kind = (
        ["специальность", "specialty"]
        if specialty.kind is SpecialtyKind.specialty
        else ["профессия рабочая", "profession trade"]
    )
    body = _texts(specialty.description, specialty.career, *kind)
    body += _texts(*(c.short_name for c in catalog.colleges if c.id in specialty.colleges))
    if specialty.new_programme:
        body += ["новая программа", "new programme"]
    if specialty.medical_certificate:
        body += ["медицинская справка 086/у", "medical certificate"]
    return _Entry(
        Target(TargetKind.specialty, specialty.code),
        title=[
            specialty.code,
            *specialty.former_codes,
            *_texts(specialty.name, specialty.short_name, specialty.qualification),
        ],
        body=body,
    )


def _entries(catalog: Catalog) -> list[_Entry]:
    entries = [
        _Entry(Target(TargetKind.faq, str(i)), _texts(e.question), _texts(e.answer))
        for i, e in enumerate(catalog.faq)
    ]
    entries += [_specialty_entry(catalog, s) for s in catalog.specialties]
    for college in catalog.colleges:
        entries.append(
            _Entry(
                Target(TargetKind.college, college.id),
                title=_texts(college.name, college.short_name, college.city),
                body=_texts(college.address)
                + _texts(*(s.short_name for s in catalog.specialties_of(college.id))),
            )
        )
    for target, (title, keywords) in SECTION_WORDS.items():
        entries.append(_Entry(target, list(title), keywords=list(keywords)))
    extra: dict[Target, list[str]] = {
        Target(TargetKind.howto, HowtoSection.documents): _texts(*catalog.documents),
        Target(TargetKind.cluster): _texts(
            catalog.cluster.name, catalog.cluster.about, catalog.cluster.employer
        ),
        Target(TargetKind.contacts): _texts(catalog.cluster.contacts),
    }
    extra[Target(TargetKind.howto, HowtoSection.dates)] = [
        text for campaign in catalog.campaigns for text in _campaign_dates(campaign)
    ]
    for entry in entries:
        entry.body += extra.get(entry.target, [])
    return entries


# --- the index ------------------------------------------------------------------------------

# One place of a query: the index terms that would satisfy it, each with how well.
Slot = dict[str, float]


@dataclass(frozen=True, slots=True)
class _Term:
    term: str  # the index form (or the word as typed, when the index lacks it)
    raw: str  # as typed (folded)
    weak: bool = False  # a question word
    verb: bool = False


@dataclass(frozen=True, slots=True)
class _Unit:
    """One thing the question asks about: a word, or a phrase a synonym stands for (its
    slots are averaged). ``weight`` is its share of the question."""

    slots: tuple[Slot, ...]
    weight: float
    missing: bool = False  # a word that is neither known nor a verb nor a question word


class SearchIndex:
    """Everything one catalogue version knows, ready to answer typed questions."""

    def __init__(self, catalog: Catalog) -> None:
        self.morph = morphology()
        entries = _entries(catalog)
        self.targets = [e.target for e in entries]
        # term → {entry: weight of the best field it is in}
        self.postings: dict[str, dict[int, float]] = defaultdict(dict)
        # the title fields of each entry as sets of terms: how much of a title a question is
        self.titles: list[list[frozenset[str]]] = []
        for index, entry in enumerate(entries):
            fields = []
            for text in entry.title:
                terms = self._doc_terms(text)
                fields.append(frozenset(terms))
                for term in terms:
                    self.postings[term][index] = TITLE_WEIGHT
            self.titles.append([f for f in fields if f])
            for weight, texts in ((KEYWORD_WEIGHT, entry.keywords), (BODY_WEIGHT, entry.body)):
                for text in texts:
                    for term in self._doc_terms(text):
                        self.postings[term].setdefault(index, weight)
        count = len(entries)
        self.idf = {t: math.log(1 + count / len(p)) for t, p in self.postings.items()}
        self.unknown_weight = math.log(1 + count)
        self.synonyms = self._synonyms(catalog)
        known = set(self.postings) | {t for phrase in self.synonyms for t in phrase}
        self.cyrillic = sorted(t for t in known if _CYRILLIC.search(t))
        self.latin = sorted(t for t in known if _LATIN.match(t) and not t.isdigit())
        self.known = frozenset(known)
        self.codes = sorted(t for t in self.postings if _CODE.match(t))
        # A former code names the specialty that has it now (e.g. in an evaluation set).
        self.renamed = {old: s.code for s in catalog.specialties for old in s.former_codes}

    # building ---------------------------------------------------------------------------------

    def _doc_terms(self, text: str) -> list[str]:
        terms = []
        for word in tokens(text):
            if word in RU_STOP or word in EN_STOP or (len(word) < 2 and not word.isdigit()):
                continue
            term = self.morph.term(word)
            if term not in RU_STOP and term not in EN_STOP:
                terms.append(term)
        return terms

    def _phrase(self, text: str) -> tuple[str, ...]:
        """A synonym's words as index terms; stop words are left out as in questions."""
        out = []
        for word in tokens(text):
            if word in RU_STOP or word in EN_STOP:
                continue
            out.append(self.morph.term(word))
        return tuple(out)

    def _synonyms(self, catalog: Catalog) -> dict[tuple[str, ...], tuple[str, ...]]:
        table: dict[tuple[str, ...], tuple[str, ...]] = {}
        for synonym in catalog.synonyms:
            means = self._phrase(synonym.means)
            if not means:
                continue
            for words in synonym.words:
                phrase = self._phrase(words)
                if phrase and phrase != means:
                    table.setdefault(phrase, means)
        return table

    # asking -----------------------------------------------------------------------------------

    def ask(self, text: str) -> Reply:
        words = [COLLOQUIAL.get(w, w) for w in tokens(text[:MAX_QUERY_CHARS])]
        if words and all(w in _ONLY_POLITE for w in words):
            if any(w in THANKS for w in words):
                return Reply(ReplyKind.thanks)
            if any(w in GREETINGS or w in ("добрый", "доброе", "good") for w in words):
                return Reply(ReplyKind.greeting)
            return Reply(ReplyKind.empty)  # «ок», «понятно»: nothing to search for
        terms = self._query_terms([w for w in words if w not in GREETINGS and w not in THANKS])
        if not terms:
            return Reply(ReplyKind.empty)
        normalized = " ".join(sorted({t.term for t in terms}))
        units = self._units(terms)
        hits = [h for h in self._rank(units) if h.score >= SUGGEST_SCORE]
        shown = tuple(hits[:MAX_HITS])
        if not shown:
            return Reply(ReplyKind.unsure, (), normalized)
        best = shown[0].score
        runner_up = shown[1].score if len(shown) > 1 else 0.0
        # Far ahead of the rest, though matched in a body: an answer, unless the question
        # also asks about something the catalogue has no word for at all.
        clear = (
            best >= CLEAR_SCORE
            and best >= CLEAR_MARGIN * runner_up
            and not any(u.missing for u in units)
        )
        kind = ReplyKind.answer if best >= ANSWER_SCORE or clear else ReplyKind.unsure
        return Reply(kind, shown, normalized)

    def _query_terms(self, words: Sequence[str]) -> list[_Term]:
        """The question's words as index terms (as typed, when the index has no such word),
        stop words dropped. Latin words are English when the question has any English word
        the index or the stop list knows; else they are read as Russian in Latin letters."""
        english = any(
            _LATIN.match(w) and (w in EN_STOP or w in EN_WEAK or self.morph.stem(w) in self.known)
            for w in words
            if not w.isdigit()
        )
        out: list[_Term] = []
        for word in words:
            if _CODE.match(word) or _CODE_PREFIX.match(word) or word.isdigit():
                out.append(_Term(word, word))
            elif _LATIN.match(word):
                out += self._latin_term(word, english)
            else:
                out += self._russian_term(word)
        # A weak word the catalogue lacks says nothing: drop it rather than count it unknown.
        return [t for t in out if not t.weak or t.term in self.postings]

    def _latin_term(self, word: str, english: bool) -> list[_Term]:
        if word in EN_STOP:
            return []
        stem = self.morph.stem(word)
        if word in EN_WEAK:
            return [_Term(stem, word, weak=True)]
        if stem in self.known or len(word) < 3:
            return [_Term(stem, word)]
        readings = [self._russian_term(r) for r in transliterate(word)]
        for reading in readings:  # a reading the index (or the stop list) knows
            if not reading or reading[0].term in self.known:
                return reading
        if english:
            return [_Term(stem, word)]
        return readings[-1]

    def _russian_term(self, word: str) -> list[_Term]:
        if word in RU_STOP or len(word) < 2:
            return []
        lemma, verb = self.morph.analyse(word)
        if lemma in RU_STOP:
            return []
        if word in RU_WEAK or lemma in RU_WEAK:
            return [_Term(lemma, word, weak=True)]
        if lemma not in self.known and word in self.known:
            lemma = word
        if lemma not in self.known:
            lemma = self._correct(word, lemma)
        return [_Term(lemma, word, verb=verb)]

    def _correct(self, word: str, lemma: str) -> str:
        """A word the catalogue lacks, replaced by the one known word it surely means (a
        typo of a synonym or of a catalogue word), else left as it is."""
        if len(word) < MIN_FUZZY_LENGTH:
            return lemma
        best = _closest(self._vocabulary(lemma), (lemma, word), limit=1)
        if not best:
            return lemma
        [(found, score)] = best.items()
        # A synonym's word is only reached by correcting to it; a catalogue word is also
        # reached by the fuzzy match of the query term (with its runners-up), unless sure.
        if found not in self.postings or score >= 90:
            return found
        return lemma

    def _vocabulary(self, term: str) -> list[str]:
        return self.cyrillic if _CYRILLIC.search(term) else self.latin

    def _units(self, terms: list[_Term]) -> list[_Unit]:
        units = []
        i = 0
        while i < len(terms):
            length, means = self._synonym_at(terms, i)
            if means:
                slots = tuple(self._slot(_Term(t, t)) for t in means)
                idf = [self.idf.get(t, self.unknown_weight) for t in means]
                units.append(_Unit(slots, sum(idf) / len(idf)))
                i += length
                continue
            term = terms[i]
            slot = self._slot(term)
            if slot:
                weight = max(self.idf.get(t, self.unknown_weight) for t in slot)
            else:
                weight = self.unknown_weight
            weight *= WEAK_FACTOR if term.weak else VERB_FACTOR if term.verb else 1.0
            missing = not slot and not term.verb and not term.weak
            units.append(_Unit((slot,), weight, missing))
            i += 1
        return units

    def _synonym_at(self, terms: list[_Term], start: int) -> tuple[int, tuple[str, ...]]:
        for length in range(min(4, len(terms) - start), 0, -1):
            phrase = tuple(t.term for t in terms[start : start + length])
            means = self.synonyms.get(phrase)
            if means:
                return length, means
        return 0, ()

    def _slot(self, term: _Term) -> Slot:
        """The index terms a query term stands for, each with its similarity."""
        if term.term in self.postings:
            return {term.term: 1.0}
        if _CODE_PREFIX.match(term.term):
            return {c: PREFIX_SIMILARITY for c in self.codes if c.startswith(term.term + ".")}
        if term.term.isdigit():
            return {}
        vocabulary = self._vocabulary(term.term)
        forms = tuple(dict.fromkeys((term.term, term.raw)))
        slot: Slot = {}
        for candidate, score in _closest(vocabulary, forms, limit=3).items():
            if candidate in self.postings:
                slot[candidate] = score / 100 * FUZZY_PENALTY
        for form in forms:
            if len(form) < MIN_PREFIX_LENGTH:
                continue
            for candidate in _with_prefix(vocabulary, form):
                if candidate in self.postings:
                    slot[candidate] = max(slot.get(candidate, 0.0), PREFIX_SIMILARITY)
        return slot

    def _rank(self, units: list[_Unit]) -> list[Hit]:
        total = sum(u.weight for u in units)
        if total <= 0:
            return []
        covered: dict[int, float] = defaultdict(float)
        matched: dict[int, set[str]] = defaultdict(set)
        for unit in units:
            per_entry: dict[int, float] = defaultdict(float)
            for slot in unit.slots:
                best: dict[int, float] = {}
                for term, similarity in slot.items():
                    for index, field_weight in self.postings[term].items():
                        value = similarity * field_weight
                        if value > best.get(index, 0.0):
                            best[index] = value
                        matched[index].add(term)
                for index, value in best.items():
                    per_entry[index] += value / len(unit.slots)
            for index, value in per_entry.items():
                covered[index] += unit.weight * value
        scored = []
        for index, value in covered.items():
            coverage = value / total
            title = max((len(f & matched[index]) / len(f) for f in self.titles[index]), default=0.0)
            scored.append((-coverage * (0.8 + 0.2 * title), index))
        scored.sort()
        return [Hit(self.targets[index], -score) for score, index in scored]


def _closest(vocabulary: Sequence[str], forms: Iterable[str], limit: int) -> dict[str, float]:
    """The words of ``vocabulary`` nearest to any of ``forms`` by edit distance, with their
    similarity (0-100), the best ``limit``; too short a form is not matched."""
    found: dict[str, float] = {}
    for form in forms:
        if len(form) < MIN_FUZZY_LENGTH:
            continue
        for candidate, score, _i in process.extract(
            form, vocabulary, scorer=fuzz.ratio, score_cutoff=_cutoff(form), limit=limit
        ):
            found[candidate] = max(found.get(candidate, 0.0), float(score))
    best = sorted(found.items(), key=lambda item: -item[1])[:limit]
    return dict(best)


def _cutoff(word: str) -> float:
    """How close a typo must be to count: stricter for short words."""
    return 88 if len(word) <= 5 else 80


def _with_prefix(vocabulary: Sequence[str], prefix: str) -> Iterable[str]:
    """Words of a sorted vocabulary that begin with ``prefix``."""
    start = bisect_left(vocabulary, prefix)
    for word in vocabulary[start:]:
        if not word.startswith(prefix):
            break
        if word != prefix:
            yield word

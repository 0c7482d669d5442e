"""Sanctions screening, measured: precision and recall on labelled name pairs, and latency at 20,000 entries.

Builds a synthetic list of 20,000 listed persons from name pools of several
languages (Arabic, Persian, Russian, Spanish, English, Turkish, Chinese), with
dates of birth for three in four and nationalities for two in three, as on the
real lists. Then a labelled set of pairs, each a would-be player against one
entry:

* true pairs, the listed person written differently: transliteration variants
  (Mohammed/Muhammad, Usama/Osama, Sergei/Sergey, Hussein/Husain), another
  script (Cyrillic), swapped order, a middle name or patronymic left out, a
  typo (one letter dropped, doubled, swapped or replaced); the player's date of
  birth is the entry's, their country the entry's nationality half of the time;
* false pairs, someone else: a common first name with another surname, the
  surname with another first name, a look-alike surname (Petrov/Petrenko,
  Hassan/Hussein), the same name with the other gender's ending
  (Petrov/Petrova); dates of birth and countries of their own.

It prints precision and recall at the configured alert threshold for Croupier's
scorer (with dates of birth and country, and on names alone), and for plain
Jaro-Winkler at 0.80 on the whole names (the reference Watchman published) in
the same run; then the latency of screening one name against the whole list
through the index. Deterministic: ``--seed`` (default 11).

    .venv/bin/python bench/sanctions_eval.py [--entries 20000] [--pairs 4000] [--seed 11]
"""

# ruff: noqa: RUF001 - the name pools hold Turkish and Cyrillic letters on purpose

from __future__ import annotations

import argparse
import random
import statistics
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from rapidfuzz.distance import JaroWinkler

from croupier.kit.settings import Settings
from croupier.risk.sanctions.matching import Listed, ScreeningIndex, Subject, name_score, score
from croupier.risk.sanctions.normalise import ascii_text, tokens

# Each group: first names, surnames, spelling variants (one tuple per name), countries.
# A variant tuple's first spelling is the one on the list.
POOLS: dict[str, dict[str, Sequence[Sequence[str]]]] = {
    "arabic": {
        "first": [
            ("Mohammed", "Muhammad", "Mohamed", "Mohammad"),
            ("Ahmed", "Ahmad"),
            ("Usama", "Osama"),
            ("Yusuf", "Youssef", "Yousef"),
            ("Abdullah", "Abdallah"),
            ("Omar", "Umar"),
            ("Ali",),
            ("Hassan", "Hasan"),
            ("Hussein", "Husain", "Hussain"),
            ("Khalid", "Khaled"),
            ("Ibrahim", "Ebrahim"),
            ("Mustafa", "Mostafa"),
            ("Tariq", "Tarek"),
            ("Walid", "Waleed"),
            ("Faisal", "Faysal"),
            ("Saeed", "Said", "Sayed"),
            ("Jamal", "Gamal"),
            ("Nasser", "Nasir"),
            ("Karim", "Kareem"),
            ("Bilal",),
            ("Hamza", "Hamzah"),
            ("Ayman", "Aiman"),
            ("Zayd", "Zaid", "Zeid"),
            ("Fatima", "Fatimah"),
            ("Aisha", "Aysha", "Aicha"),
            ("Maryam", "Mariam"),
            ("Khadija", "Khadijah"),
        ],
        "last": [
            ("al-Baghdadi", "Baghdadi"),
            ("al-Masri", "el-Masri", "Masri"),
            ("Haddad", "Hadad"),
            ("Mansour", "Mansur"),
            ("al-Zawahiri", "Zawahiri"),
            ("Khoury", "Khouri", "Khuri"),
            ("Nasrallah", "Nasrala"),
            ("Qureshi", "Quraishi", "Kureshi"),
            ("Rahman", "Rehman"),
            ("Hamdan",),
            ("Saleh", "Salih"),
            ("Abdelaziz", "Abdulaziz"),
            ("al-Tikriti", "Tikriti"),
            ("Shami", "al-Shami"),
            ("Yasin", "Yassin", "Yaseen"),
            ("Darwish", "Darwich"),
            ("Aziz",),
            ("Farouk", "Faruq"),
            ("Karimi",),
            ("Othman", "Uthman", "Osman"),
            ("Barakat",),
            ("Haqqani", "Haqani"),
            ("Suleiman", "Sulayman", "Sleiman"),
            ("Jaber", "Jabir"),
        ],
        "countries": [("IQ",), ("SY",), ("YE",), ("SA",), ("EG",), ("LB",), ("JO",), ("LY",)],
    },
    "persian": {
        "first": [
            ("Reza", "Riza"),
            ("Mehdi", "Mahdi"),
            ("Hossein", "Hosein", "Husayn"),
            ("Javad", "Jawad"),
            ("Amir",),
            ("Farhad",),
            ("Kamran",),
            ("Dariush", "Daryoush"),
            ("Qasem", "Ghasem", "Kasem"),
            ("Mojtaba",),
            ("Rostam", "Rustam"),
            ("Shirin",),
            ("Leila", "Layla", "Laila"),
            ("Zahra",),
            ("Parisa",),
            ("Babak",),
            ("Saeid", "Saied"),
        ],
        "last": [
            ("Soleimani", "Suleimani", "Solaimani"),
            ("Hosseini", "Husseini", "Hoseini"),
            ("Rezaei", "Rezaie"),
            ("Ahmadinejad",),
            ("Khamenei", "Khamenehi"),
            ("Jafari", "Jafary"),
            ("Moradi",),
            ("Tehrani",),
            ("Shirazi",),
            ("Karimov", "Qarimov"),
            ("Mousavi", "Musavi", "Moussavi"),
            ("Ghorbani", "Qorbani"),
            ("Zarif",),
            ("Rahimi",),
            ("Sadeghi", "Sadeqi"),
            ("Bagheri", "Baqeri"),
        ],
        "countries": [("IR",)],
    },
    "russian": {
        "first": [
            ("Sergei", "Sergey", "Serguei"),
            ("Aleksandr", "Alexander", "Aleksander"),
            ("Dmitri", "Dmitry", "Dmitriy"),
            ("Alexei", "Aleksey", "Alexey"),
            ("Yuri", "Yury", "Iouri"),
            ("Mikhail", "Michail"),
            ("Igor",),
            ("Andrei", "Andrey"),
            ("Nikolai", "Nikolay"),
            ("Vladimir",),
            ("Oleg",),
            ("Viktor", "Victor"),
            ("Yevgeny", "Evgeny", "Evgeniy"),
            ("Anatoly", "Anatoliy"),
            ("Gennady", "Gennadiy"),
            ("Anna",),
            ("Olga",),
            ("Tatiana", "Tatyana"),
            ("Natalia", "Natalya"),
            ("Yelena", "Elena"),
            ("Irina",),
            ("Svetlana",),
            ("Ekaterina", "Yekaterina"),
        ],
        "last": [
            ("Ivanov",),
            ("Petrov",),
            ("Petrenko",),
            ("Smirnov",),
            ("Kuznetsov", "Kuznetzov"),
            ("Popov",),
            ("Sokolov",),
            ("Vorontsov", "Vorontzov"),
            ("Volkov",),
            ("Fyodorov", "Fedorov"),
            ("Morozov",),
            ("Novikov",),
            ("Kozlov",),
            ("Lebedev",),
            ("Semyonov", "Semenov"),
            ("Yegorov", "Egorov"),
            ("Pavlov",),
            ("Orlov",),
            ("Medvedev",),
            ("Vekselberg",),
            ("Deripaska",),
            ("Abramovich",),
            ("Rotenberg",),
            ("Timchenko",),
            ("Shoigu", "Shoygu"),
            ("Patrushev",),
            ("Zolotov",),
            ("Khudainatov", "Hudainatov"),
            ("Chemezov", "Tchemezov"),
        ],
        "countries": [("RU",), ("BY",), ("UA",), ("KZ",)],
    },
    "spanish": {
        "first": [
            ("José", "Jose"),
            ("Juan",),
            ("Luis",),
            ("Carlos",),
            ("Jorge",),
            ("Miguel",),
            ("Rafael",),
            ("Alejandro",),
            ("Nicolás", "Nicolas"),
            ("Diosdado",),
            ("Tareck",),
            ("Joaquín", "Joaquin"),
            ("María", "Maria"),
            ("Ana",),
            ("Carmen",),
            ("Rosa",),
            ("Delcy",),
            ("Isabel",),
        ],
        "last": [
            ("García", "Garcia"),
            ("Rodríguez", "Rodriguez"),
            ("Martínez", "Martinez"),
            ("López", "Lopez"),
            ("González", "Gonzalez"),
            ("Pérez", "Perez"),
            ("Sánchez", "Sanchez"),
            ("Ramírez", "Ramirez"),
            ("Maduro",),
            ("Cabello",),
            ("Guzmán", "Guzman"),
            ("Loera",),
            ("Zambada",),
            ("Caro Quintero",),
            ("Ortega",),
            ("Murillo",),
            ("Castro",),
            ("Saab",),
            ("Moros",),
            ("Reverol",),
            ("Padrino",),
        ],
        "countries": [("VE",), ("MX",), ("CO",), ("NI",), ("CU",)],
    },
    "english": {
        "first": [
            ("John", "Jon"),
            ("James",),
            ("Michael",),
            ("David",),
            ("Robert",),
            ("William",),
            ("Richard",),
            ("Thomas",),
            ("Mary",),
            ("Patricia",),
            ("Jennifer",),
            ("Elizabeth",),
            ("Sarah",),
            ("Emma",),
        ],
        "last": [
            ("Smith",),
            ("Johnson",),
            ("Williams",),
            ("Brown",),
            ("Jones",),
            ("Miller",),
            ("Davis",),
            ("Wilson",),
            ("Taylor",),
            ("Anderson",),
            ("Thomas",),
            ("Moore",),
            ("Martin",),
            ("Thompson",),
            ("White",),
            ("Harris",),
            ("Clarke", "Clark"),
            ("Lewis",),
            ("Robinson",),
            ("Walker",),
        ],
        "countries": [("GB",), ("US",), ("IE",), ("AU",)],
    },
    "turkish": {
        "first": [
            ("Mehmet", "Mehmed"),
            ("Mustafa",),
            ("Ahmet", "Ahmed"),
            ("Emre",),
            ("Burak",),
            ("Murat",),
            ("Hakan",),
            ("Ayşe", "Ayse"),
            ("Zeynep",),
            ("Elif",),
            ("Recep",),
            ("Cengiz", "Jengiz"),
        ],
        "last": [
            ("Yılmaz", "Yilmaz"),
            ("Kaya",),
            ("Demir",),
            ("Şahin", "Sahin"),
            ("Çelik", "Celik"),
            ("Yıldız", "Yildiz"),
            ("Öztürk", "Ozturk"),
            ("Aydın", "Aydin"),
            ("Arslan",),
            ("Doğan", "Dogan"),
            ("Kılıç", "Kilic"),
            ("Zarrab",),
            ("Çalık", "Calik"),
        ],
        "countries": [("TR",), ("CY",)],
    },
    "chinese": {
        "first": [
            ("Wei",),
            ("Fang",),
            ("Lei",),
            ("Jun",),
            ("Ming",),
            ("Xiaoping",),
            ("Jianguo",),
            ("Hong",),
            ("Yong",),
            ("Jie",),
            ("Tao",),
            ("Qiang",),
            ("Li Na",),
            ("Hui",),
        ],
        "last": [
            ("Wang",),
            ("Li", "Lee"),
            ("Zhang", "Chang"),
            ("Liu",),
            ("Chen", "Chan"),
            ("Yang",),
            ("Huang", "Wong"),
            ("Zhao", "Chao"),
            ("Wu", "Ng"),
            ("Zhou", "Chou"),
            ("Xu", "Hsu"),
            ("Sun",),
            ("Ma",),
            ("Zhu", "Chu"),
        ],
        "countries": [("CN",), ("HK",), ("KP",)],
    },
}
# Patronymic-style middle names for the Russian pool, "bin X" for the Arabic one.
MIDDLES = {
    "russian": ["Ivanovich", "Petrovich", "Sergeyevich", "Alexandrovich", "Vladimirovich", "Nikolaevich"],
    "arabic": ["Abdul Karim", "Ahmed", "Ali", "Abd al-Rahman", "Saleh"],
    "persian": ["Ali", "Reza"],
    "spanish": ["Antonio", "Luis", "Eduardo", "de Jesus"],
    "english": ["Lee", "Ann", "James", "Edward"],
}
# Name pairs that look alike and are not the same name: the false friends screening must resist.
LOOK_ALIKES = [
    ("Petrov", "Petrenko"),
    ("Hassan", "Hussein"),
    ("Ivanov", "Ivanenko"),
    ("Karimov", "Karimi"),
    ("Smith", "Smithers"),
    ("Haddad", "Hadid"),
    ("Volkov", "Volkova"),
    ("Petrov", "Petrova"),
    ("Sokolov", "Sokolova"),
    ("Martinez", "Martins"),
    ("Johnson", "Jonsson"),
    ("Mansour", "Mansouri"),
    ("Rahimi", "Rahman"),
    ("Rodriguez", "Rodrigues"),
    ("Moore", "Moreau"),
    ("Lopez", "Lopes"),
]
TO_CYRILLIC = [
    ("shch", "щ"),
    ("yu", "ю"),
    ("ya", "я"),
    ("ye", "е"),
    ("yo", "ё"),
    ("zh", "ж"),
    ("kh", "х"),
    ("ts", "ц"),
    ("ch", "ч"),
    ("sh", "ш"),
    ("iy", "ий"),
    ("ei", "ей"),
    ("ai", "ай"),
    ("oi", "ой"),
    ("y", "ы"),
    ("a", "а"),
    ("b", "б"),
    ("v", "в"),
    ("g", "г"),
    ("d", "д"),
    ("e", "е"),
    ("z", "з"),
    ("i", "и"),
    ("k", "к"),
    ("l", "л"),
    ("m", "м"),
    ("n", "н"),
    ("o", "о"),
    ("p", "п"),
    ("r", "р"),
    ("s", "с"),
    ("t", "т"),
    ("u", "у"),
    ("f", "ф"),
    ("x", "кс"),
]


@dataclass(frozen=True)
class Person:
    group: str
    first: int
    middle: str | None
    last: int
    born: date | None
    country: str | None


@dataclass(frozen=True)
class Pair:
    subject: Subject
    entry: Listed
    person: Person
    same: bool
    kind: str


def _cyrillic(name: str) -> str:
    out = []
    for word in name.lower().split():
        i, text = 0, ""
        while i < len(word):
            for latin, cyr in TO_CYRILLIC:
                if word.startswith(latin, i):
                    text += cyr
                    i += len(latin)
                    break
            else:
                text += word[i]
                i += 1
        out.append(text.capitalize())
    return " ".join(out)


def _typo(rng: random.Random, name: str) -> str:
    words = name.split()
    k = max(range(len(words)), key=lambda j: (len(words[j]), rng.random()))
    w = words[k]
    if len(w) < 5:
        return name
    i = rng.randrange(1, len(w) - 1)
    how = rng.choice(["drop", "double", "swap", "replace"])
    if how == "drop":
        w = w[:i] + w[i + 1 :]
    elif how == "double":
        w = w[:i] + w[i] + w[i:]
    elif how == "swap":
        w = w[:i] + w[i + 1] + w[i] + w[i + 2 :]
    else:
        w = w[:i] + rng.choice("aeiounrst") + w[i + 1 :]
    words[k] = w
    return " ".join(words)


class World:
    def __init__(self, rng: random.Random, entries: int) -> None:
        self.rng = rng
        self.people: list[Person] = []
        self.listed: list[Listed] = []
        groups = list(POOLS)
        weights = [4, 2, 4, 2, 1, 1, 2]
        for _ in range(entries):
            group = rng.choices(groups, weights)[0]
            pool = POOLS[group]
            middle = rng.choice(MIDDLES[group]) if group in MIDDLES and rng.random() < 0.5 else None
            born = (
                date(1940, 1, 1) + timedelta(days=rng.randrange(0, 365 * 60)) if rng.random() < 0.75 else None
            )
            country = rng.choice(pool["countries"])[0] if rng.random() < 0.66 else None
            first, last = rng.randrange(len(pool["first"])), rng.randrange(len(pool["last"]))
            person = Person(group, first, middle, last, born, country)
            self.people.append(person)
            self.listed.append(self._listed(person))

    def name(self, person: Person, *, first: int = 0, last: int = 0, middle: bool = True) -> str:
        pool = POOLS[person.group]
        firsts, lasts = pool["first"][person.first], pool["last"][person.last]
        parts = [firsts[min(first, len(firsts) - 1)]]
        if middle and person.middle:
            parts.append(person.middle)
        parts.append(lasts[min(last, len(lasts) - 1)])
        return " ".join(parts)

    def _listed(self, person: Person) -> Listed:
        primary = self.name(person)
        last, _, rest = primary.rpartition(" ")[2], None, primary.rpartition(" ")[0]
        aliases = (f"{last.upper()}, {rest}",) if self.rng.random() < 0.3 else ()
        born = ()
        if person.born is not None:
            shown = self.rng.random()
            born = (person.born.isoformat(),) if shown < 0.7 else (str(person.born.year),)
        return Listed(
            entry_id=uuid.uuid4(),
            content_hash=b"",
            names=(primary, *aliases),
            birth_dates=born,
            countries=(person.country,) if person.country else (),
        )

    def _country(self, person: Person) -> str:
        if person.country and self.rng.random() < 0.5:
            return person.country
        return self.rng.choice(["MT", "DE", "GB", "FR", "ES", "NL", "SE", "IT"])

    def _born(self, person: Person) -> date:
        return person.born or date(1950, 1, 1) + timedelta(days=self.rng.randrange(0, 365 * 50))

    def true_pair(self, i: int) -> Pair:
        rng, person, entry = self.rng, self.people[i], self.listed[i]
        pool = POOLS[person.group]
        kinds = ["transliteration", "swapped order", "middle name left out", "typo"]
        if person.group == "russian":
            kinds.append("cyrillic script")
        kind = rng.choice(kinds)
        variant_first = rng.randrange(len(pool["first"][person.first]))
        variant_last = rng.randrange(len(pool["last"][person.last]))
        if kind == "transliteration":
            name = self.name(person, first=variant_first or 1, last=variant_last or 1)
            if name == entry.names[0]:
                name = _typo(rng, name)  # a name without variants: the misspelling is the variant
        elif kind == "swapped order":
            words = self.name(person, middle=False).split()
            name = " ".join(words[len(words) // 2 :] + words[: len(words) // 2])
        elif kind == "middle name left out":
            name = self.name(person, middle=False)
        elif kind == "typo":
            name = _typo(rng, self.name(person, middle=rng.random() < 0.5))
        else:
            name = _cyrillic(self.name(person, middle=rng.random() < 0.5))
        subject = Subject(name, self._born(person), self._country(person))
        return Pair(subject, entry, person, True, kind)

    def false_pair(self, i: int) -> Pair:
        rng, person, entry = self.rng, self.people[i], self.listed[i]
        pool = POOLS[person.group]
        other = self.people[rng.randrange(len(self.people))]
        kind = rng.choice(["same first name", "same surname", "look-alike surname", "look-alike surname"])
        first_names = pool["first"][person.first]
        last_names = pool["last"][person.last]
        if kind == "same first name":
            last = rng.choice([j for j in range(len(pool["last"])) if j != person.last])
            name = f"{first_names[0]} {pool['last'][last][0]}"
        elif kind == "same surname":
            first = rng.choice([j for j in range(len(pool["first"])) if j != person.first])
            name = f"{pool['first'][first][0]} {last_names[0]}"
        else:
            a, b = rng.choice(LOOK_ALIKES)
            name = f"{first_names[0]} {b}"
            entry = Listed(
                entry.entry_id, b"", (f"{first_names[0]} {a}",), entry.birth_dates, entry.countries
            )
        born = other.born or date(1950, 1, 1) + timedelta(days=rng.randrange(0, 365 * 50))
        country = rng.choice(["MT", "DE", "GB", *(c[0] for c in pool["countries"])])
        return Pair(Subject(name, born, country), entry, person, False, kind)


def plain_jaro_winkler(subject: Subject, entry: Listed) -> float:
    query = ascii_text(subject.name)
    return max(JaroWinkler.normalized_similarity(query, ascii_text(n)) for n in entry.names)


def ours(subject: Subject, entry: Listed) -> float:
    return score(subject, entry).score


def names_only(subject: Subject, entry: Listed) -> float:
    return max(name_score(tokens(subject.name), tokens(n))[0] for n in entry.names)


def evaluate(
    pairs: Sequence[Pair], scorer: Callable[[Subject, Listed], float], threshold: float
) -> dict[str, float]:
    tp = fp = fn = tn = 0
    for pair in pairs:
        hit = scorer(pair.subject, pair.entry) >= threshold
        tp += hit and pair.same
        fp += hit and not pair.same
        fn += not hit and pair.same
        tn += not hit and not pair.same
    return {
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / (tp + fn) if tp + fn else 1.0,
        "fp": fp,
        "fn": fn,
    }


def by_kind(
    pairs: Sequence[Pair], scorer: Callable[[Subject, Listed], float], threshold: float
) -> dict[str, str]:
    counts: dict[str, Counter[bool]] = defaultdict(Counter)
    for pair in pairs:
        counts[pair.kind][scorer(pair.subject, pair.entry) >= threshold] += 1
    return {kind: f"{c[True]}/{c[True] + c[False]}" for kind, c in sorted(counts.items())}


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--pairs", type=int, default=4_000, help="labelled pairs, half true, half false")
    parser.add_argument("--queries", type=int, default=2_000, help="names screened for the latency figures")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    settings = Settings()
    alert, block = settings.sanctions_alert_threshold, settings.sanctions_block_threshold

    rng = random.Random(args.seed)
    world = World(rng, args.entries)
    sample = rng.sample(range(args.entries), args.pairs // 2)
    pairs = [world.true_pair(i) for i in sample] + [world.false_pair(i) for i in sample]
    print(f"labelled pairs: {sum(p.same for p in pairs)} true, {sum(not p.same for p in pairs)} false "
          f"(seed {args.seed})")  # fmt: skip
    print()
    print(f"{'scorer':<46} {'threshold':>9} {'precision':>9} {'recall':>7} {'false +':>8} {'false -':>8}")
    rows = [
        ("Croupier: names, date of birth, country", ours, alert),
        ("Croupier: names, date of birth, country", ours, block),
        ("Croupier: names alone", names_only, alert),
        ("plain Jaro-Winkler on whole names (reference)", plain_jaro_winkler, 0.80),
    ]
    for label, scorer, threshold in rows:
        r = evaluate(pairs, scorer, threshold)
        figures = f"{r['precision']:>9.3f} {r['recall']:>7.3f} {r['fp']:>8} {r['fn']:>8}"
        print(f"{label:<46} {threshold:>9.2f} {figures}")
    print()
    print("Croupier (names, date of birth, country) across thresholds:")
    for threshold in (0.80, 0.85, 0.88, 0.90, 0.92, 0.95):
        r = evaluate(pairs, ours, threshold)
        print(f"  {threshold:.2f}: precision {r['precision']:.3f} recall {r['recall']:.3f}")
    print()
    print(
        f"by kind at the alert threshold {alert:.2f} (found / pairs; true pairs should be found, false not):"
    )
    ours_kinds = by_kind(pairs, ours, alert)
    jw_kinds = by_kind(pairs, plain_jaro_winkler, 0.80)
    for kind in ours_kinds:
        same = next(p.same for p in pairs if p.kind == kind)
        label = f"{'true ' if same else 'false'} {kind:<24}"
        print(f"  {label} Croupier {ours_kinds[kind]:>9}   Jaro-Winkler 0.80 {jw_kinds[kind]:>9}")

    started = time.perf_counter()
    index = ScreeningIndex(world.listed, version=1)
    built = time.perf_counter() - started
    queries = [p.subject for p in rng.sample(pairs, min(args.queries, len(pairs)))]
    for subject in queries[:50]:  # warm the caches of normalised tokens, as a running process has
        index.search(subject)
    through_index = sum(
        any(m.entry is p.entry for m in index.search(p.subject, floor=alert))
        for p in pairs
        if p.same and p.kind and p.entry in index.entries
    )
    print()
    print(f"recall through the index (blocking included) at {alert:.2f}: "
          f"{through_index / sum(p.same for p in pairs):.3f}")  # fmt: skip
    timings = []
    found = 0
    for subject in queries:
        started = time.perf_counter()
        found += bool(index.search(subject, floor=alert))
        timings.append((time.perf_counter() - started) * 1000)
    print()
    print(f"screening one name against {len(index):,} listed persons ({built:.2f} s to build the index), "
          f"{len(timings)} names:")  # fmt: skip
    print(f"  p50 {statistics.median(timings):.2f} ms   p99 {percentile(timings, 0.99):.2f} ms   "
          f"max {max(timings):.2f} ms")  # fmt: skip
    print(f"  ({found} of them with a candidate at or above {alert:.2f})")


if __name__ == "__main__":
    main()

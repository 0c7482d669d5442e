"""How names are normalised and compared: the table a compliance officer would check."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from croupier.kit.settings import Settings
from croupier.risk.sanctions.matching import Listed, ScreeningIndex, Subject, name_score, score
from croupier.risk.sanctions.normalise import fold, tokens


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("Osama BIN LADEN", ("osama", "laden")),
        ("LADEN, Usama bin", ("laden", "usama")),
        ("Dr. Ayman al-Zawahiri", ("ayman", "zawahiri")),
        ("Sheikh Haji Mohammed", ("mohammed",)),
        ("Mrs. Anna-Maria Müller", ("anna", "maria", "muller")),
        ("Seán O'Brien", ("sean", "obrien")),
        ("Сергей Иванович Воронцов", ("sergei", "ivanovich", "vorontsov")),
        ("José  Ñúñez\tGarcía", ("jose", "nunez", "garcia")),
        ("\uff21\uff22\uff35\u3000\uff22\uff21\uff2b\uff32", ("abu", "bakr")),  # full-width ABU BAKR
        ("Al Ahad", ("ahad",)),
        ("Sheikh Al", ("sheikh", "al")),  # a name of dropped words only keeps them
    ],
)
def test_names_normalise_to_tokens(written: str, normalised: tuple[str, ...]) -> None:
    assert tokens(written) == normalised


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("mohammed", "muhammad"),
        ("usama", "osama"),
        ("yusuf", "youssef"),
        ("aleksey", "alexei"),
        ("laden", "ladin"),
    ],
)
def test_transliteration_variants_fold_alike(a: str, b: str) -> None:
    assert fold(a) == fold(b)


@pytest.mark.parametrize(("a", "b"), [("maria", "mario"), ("petrov", "petrova"), ("ivan", "ivana")])
def test_a_final_vowel_that_marks_gender_keeps_names_apart(a: str, b: str) -> None:
    assert fold(a) != fold(b)


@pytest.mark.parametrize(
    ("query", "listed", "at_least"),
    [
        ("John Smith", "SMITH, John", 1.0),  # order
        ("Osama bin Laden", "Usama bin Ladin", 0.9),  # transliteration
        ("John Smith", "John Michael Smith", 0.9),  # a middle name left out
        ("Jon Smiht", "John Smith", 0.85),  # typos
        ("Sergei Vorontsov", "Сергей Иванович Воронцов", 0.9),  # another script
    ],
)
def test_the_same_person_written_differently_scores_high(query: str, listed: str, at_least: float) -> None:
    value, _ = name_score(tokens(query), tokens(listed))
    assert value >= at_least


@pytest.mark.parametrize(
    ("query", "listed"),
    [
        ("Ivan Petrov", "Ivan Petrenko"),
        ("Mohammed Ali", "Mohammed Hassan"),  # a shared common first name
        ("John Smith", "John Smithson Baker"),
        ("Maria Garcia Lopez", "Mario Garcia"),
    ],
)
def test_false_friends_stay_below_the_alert_threshold(query: str, listed: str) -> None:
    value, _ = name_score(tokens(query), tokens(listed))
    assert value < 0.85


def _entry(*names: str, born: tuple[str, ...] = (), countries: tuple[str, ...] = ()) -> Listed:
    return Listed(
        entry_id=uuid.uuid4(), content_hash=b"h", names=names, birth_dates=born, countries=countries
    )


class TestDateOfBirthAndCountry:
    def test_a_matching_date_of_birth_raises_the_score_and_says_so(self) -> None:
        entry = _entry("Rustam Alievich KARIMOV", born=("1970-01-12",), countries=("IR",))

        match = score(Subject("Rustam Karimov", date(1970, 1, 12), "IR"), entry)

        assert match.score > match.name_score
        assert "dob_exact" in match.reasons
        assert "country_match" in match.reasons
        assert "middle_names_unpaired:1" in match.reasons

    def test_a_conflicting_year_of_birth_lowers_it_below_the_threshold(self) -> None:
        entry = _entry("Rustam KARIMOV", born=("1970-01-12",))

        match = score(Subject("Rustam Karimov", date(1994, 6, 2), "MT"), entry)

        assert match.name_score == 1.0
        assert match.score < 0.85
        assert "dob_conflict" in match.reasons

    def test_an_entry_without_a_date_of_birth_leaves_the_name_to_decide(self) -> None:
        match = score(Subject("Rustam Karimov", date(1994, 6, 2)), _entry("Rustam KARIMOV"))

        assert match.score == match.name_score
        assert "dob_unknown" in match.reasons

    def test_the_best_of_the_entrys_names_counts(self) -> None:
        match = score(Subject("Rostam Qarimov"), _entry("Rustam KARIMOV", "Rostam Aliyevich QARIMOV"))

        assert match.matched_name == "Rostam Aliyevich QARIMOV"


class TestIndex:
    def test_the_index_finds_the_listed_person_among_others_and_ranks_by_score(self) -> None:
        target = _entry("Rustam Alievich KARIMOV", born=("1970-01-12",))
        index = ScreeningIndex(
            [_entry("Rustam NAZAROV"), target, _entry("Anna PETROVA"), _entry("Karim RUSTAMOV")], version=1
        )

        found = index.search(Subject("Rustam Karimov", date(1970, 1, 12)))

        assert found[0].entry is target
        assert all(m.score <= found[0].score for m in found)

    def test_a_shared_first_name_alone_finds_nothing_worth_scoring(self) -> None:
        index = ScreeningIndex([_entry("Rustam NAZAROV")], version=1)

        assert index.search(Subject("Rustam Karimov"), floor=0.7) == []

    def test_a_name_of_initials_only_finds_nothing(self) -> None:
        index = ScreeningIndex([_entry("J K")], version=1)

        assert index.search(Subject("J. K.")) == []


def test_a_block_threshold_below_the_alert_threshold_is_refused() -> None:
    with pytest.raises(ValueError, match="must not be below the alert threshold"):
        Settings(sanctions_alert_threshold=0.95, sanctions_block_threshold=0.9)

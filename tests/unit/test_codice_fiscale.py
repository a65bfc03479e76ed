from __future__ import annotations

import datetime as dt

from odata.sources import codice_fiscale as cf


def test_the_textbook_example_is_rebuilt_exactly() -> None:
    # the example code used in every description of the algorithm (a fictitious person)
    assert cf.build("Rossi", "Mario", "M", dt.date(1980, 1, 1), "H501") == "RSSMRA80A01H501U"


def test_women_add_40_to_the_day_and_the_foreign_born_get_a_z_code() -> None:
    code = cf.build("Bianchi", "Fatima", "F", dt.date(1995, 7, 15), "Z330")
    assert code[9:11] == "55" and code[11:15] == "Z330"
    assert cf.is_valid(code) and cf.born_abroad(code)


def test_names_with_four_consonants_skip_the_second() -> None:
    assert cf.build("Verdi", "Gianfranco", "M", dt.date(1970, 5, 2), "F205")[3:6] == "GFR"


def test_wrong_check_character_shape_or_date_is_invalid() -> None:
    assert not cf.is_valid("RSSMRA80A01H501A")  # check character
    assert not cf.is_valid("RSSMRA80A31B501U")  # 31 January exists, but the check fails
    assert not cf.is_valid("RSSMRA8")
    bad_day = "RSSMRA80B30H501"  # 30 February
    assert not cf.is_valid(bad_day + cf.check_character(bad_day))


def test_omocodic_codes_are_accepted() -> None:
    base = "RSSMRA80A01H50"
    omocode = base + "M"  # last digit 1 written as M
    assert cf.is_valid(omocode + cf.check_character(omocode))

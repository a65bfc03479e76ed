"""Synthetic programme participants: names by origin, birth data, codice fiscale, contacts.

Every person is internally consistent: the codice fiscale is built from the same surname,
name, sex, birth date and place of birth that the register shows (Belfiore code of the Italian
municipality, or the "Z" code of the foreign state). Names are common given names and
surnames of each community, spelt with characters that Windows-1252 can hold (chambers that
export in that encoding would otherwise lose them), accents included: Niccolò, José, Núñez.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np

from odata.reference import read_codes
from odata.sources import codice_fiscale
from odata.sources.synthetic.sampling import FloatArray

__all__ = [
    "PARTICIPANT_COUNTRIES",
    "Person",
    "Residence",
    "make_person",
    "municipality",
    "province_sigla",
]

# Given names (male, female) and surnames by community. Written for this project.
_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "arabic": (
        ("Mohamed", "Ahmed", "Youssef", "Hassan", "Karim", "Rachid", "Mustafa", "Omar", "Ali",
         "Hamza", "Khalid", "Nabil", "Tarek", "Amine", "Mehdi", "Ayoub", "Bilal", "Ibrahim"),
        ("Fatima", "Khadija", "Amina", "Nadia", "Samira", "Leila", "Salma", "Yasmine", "Zineb",
         "Hanane", "Souad", "Malika", "Naima", "Rania", "Imane", "Meryem", "Hajar", "Nour"),
        ("El Amrani", "Benali", "Bouzid", "El Idrissi", "Haddad", "Mansour", "Nasser",
         "Khalil", "Saidi", "El Fassi", "Chahid", "Bennani", "Tahiri", "Alaoui", "Ouali",
         "Farouk", "Hamdi", "Mahmoud", "Hussein", "Salem", "Gaber", "Ben Salah", "Trabelsi"),
    ),
    "romanian": (
        ("Ion", "Andrei", "Mihai", "Alexandru", "Florin", "Gheorghe", "Marius", "Adrian",
         "Constantin", "Cristian", "Vasile", "Bogdan", "Ionut", "Daniel", "Stefan", "Sorin"),
        ("Maria", "Elena", "Ioana", "Andreea", "Mihaela", "Cristina", "Gabriela", "Alina",
         "Simona", "Daniela", "Roxana", "Florentina", "Irina", "Larisa", "Oana", "Lavinia"),
        ("Popescu", "Ionescu", "Popa", "Dumitru", "Stan", "Stoica", "Matei", "Ciobanu", "Rusu",
         "Munteanu", "Lungu", "Moldovan", "Florea", "Marin", "Tudor", "Dinu", "Ungureanu",
         "Cojocaru", "Ursu", "Botnari", "Cebotari", "Ceban"),
    ),
    "albanian": (
        ("Arben", "Ardit", "Besnik", "Blerim", "Dritan", "Elton", "Ervin", "Gentian", "Ilir",
         "Kristi", "Luan", "Mirel", "Agron", "Fatmir", "Edmond", "Valon", "Driton", "Bujar"),
        ("Anila", "Blerina", "Elira", "Entela", "Ermira", "Fatjona", "Jonida", "Klodiana",
         "Lindita", "Mirela", "Rezarta", "Valbona", "Arjola", "Dorina", "Elona", "Vjosa"),
        ("Hoxha", "Shehu", "Gjoka", "Kola", "Leka", "Marku", "Basha", "Doda", "Hysa",
         "Krasniqi", "Berisha", "Gashi", "Dervishi", "Cela", "Toska", "Prifti", "Xhafa",
         "Muca", "Duka", "Stojanovski", "Petrovic", "Jovanovic"),
    ),
    "chinese": (
        ("Wei", "Jun", "Lei", "Qiang", "Jian", "Yong", "Ming", "Hao", "Bin", "Tao", "Feng",
         "Gang", "Jie", "Peng", "Zhiwei", "Xiaoming"),
        ("Jing", "Yan", "Fang", "Mei", "Xiaoyan", "Ying", "Hui", "Li", "Na", "Xiu", "Lan",
         "Min", "Hong", "Yu", "Xiaoli", "Lili"),
        ("Hu", "Chen", "Wang", "Zhang", "Lin", "Zhou", "Xu", "Huang", "Wu", "Li", "Ye",
         "Zheng", "Jin", "Pan", "Dong", "Ji", "Zhu", "Lu", "Yang", "Liu"),
    ),
    "bengali": (
        ("Mohammad", "Abdul", "Rashed", "Jahangir", "Kamal", "Shahid", "Rafiq", "Sohel",
         "Masud", "Mizanur", "Habib", "Nazrul"),
        ("Nasrin", "Fatema", "Shirin", "Rokeya", "Sultana", "Taslima", "Shapla", "Mitu"),
        ("Hossain", "Rahman", "Islam", "Ahmed", "Uddin", "Miah", "Alam", "Chowdhury",
         "Sarkar", "Mondal"),
    ),
    "pakistani": (
        ("Muhammad", "Imran", "Asif", "Tariq", "Usman", "Faisal", "Zubair", "Waqas", "Adnan",
         "Shahzad"),
        ("Ayesha", "Sadia", "Hina", "Saima", "Nazia", "Rabia", "Sana", "Amna"),
        ("Khan", "Iqbal", "Butt", "Malik", "Chaudhry", "Hussain", "Raza", "Shah", "Akhtar"),
    ),
    "indian": (
        ("Rajesh", "Sunil", "Amit", "Harpreet", "Gurpreet", "Sandeep", "Manjit", "Nuwan",
         "Chaminda", "Sanjeewa"),
        ("Priya", "Sunita", "Harjit", "Manpreet", "Kulwinder", "Dilani", "Nirosha", "Anjali"),
        ("Singh", "Kaur", "Kumar", "Sharma", "Patel", "Perera", "Fernando", "Silva", "D'Souza"),
    ),
    "west_african_fr": (
        ("Mamadou", "Moussa", "Ibrahima", "Abdoulaye", "Cheikh", "Modou", "Ousmane", "Lamine",
         "Babacar", "Souleymane", "Adama", "Boubacar"),
        ("Aminata", "Fatou", "Awa", "Mariama", "Khady", "Ndeye", "Aïssatou", "Coumba",
         "Mariam", "Rokia"),
        ("Diop", "N'Diaye", "Fall", "Sow", "Diallo", "Ba", "Gueye", "Sarr", "Cissé", "Traoré",
         "Koné", "Coulibaly", "Ouédraogo", "Camara", "Fotso", "Nkeng", "Touré", "Keita"),
    ),
    "west_african_en": (
        ("Chinedu", "Emeka", "Oluwaseun", "Tunde", "Uche", "Kelechi", "Godwin", "Kwame",
         "Kofi", "Yaw", "Emmanuel", "Samuel", "Victor", "Ebuka"),
        ("Blessing", "Chioma", "Ngozi", "Joy", "Precious", "Favour", "Esther", "Akosua", "Ama",
         "Abena", "Comfort", "Adaeze"),
        ("Okafor", "Okonkwo", "Adeyemi", "Eze", "Obi", "Nwosu", "Mensah", "Asante", "Owusu",
         "Boateng", "Osei", "Ogunleye", "Igwe", "Appiah"),
    ),
    "latin": (
        ("José", "Luis", "Carlos", "Jorge", "Juan", "Miguel", "Pedro", "Fernando", "Diego",
         "Andrés", "Javier", "Raúl", "João", "Thiago", "Felipe", "Juan Carlos"),
        ("María", "Rosa", "Carmen", "Ana", "Lucía", "Patricia", "Gabriela", "Verónica",
         "Mónica", "Claudia", "Yolanda", "Sofía", "Juliana", "Camila", "Fernanda", "Ana Paula"),
        ("García", "Rodríguez", "Flores", "Quispe", "Mamani", "Torres", "Vásquez", "Ramírez",
         "Sánchez", "Gómez", "Díaz", "Castillo", "Rojas", "Chávez", "Gutiérrez", "Peña",
         "Núñez", "Silva", "Santos", "Oliveira", "Souza", "Gonçalves", "Pereira"),
    ),
    "slavic": (
        ("Oleksandr", "Andriy", "Volodymyr", "Serhiy", "Dmytro", "Igor", "Sergei", "Alexei",
         "Piotr", "Tomasz", "Georgi", "Ivan"),
        ("Olena", "Natalia", "Svitlana", "Oksana", "Iryna", "Tetiana", "Olga", "Halyna",
         "Yulia", "Anna", "Katarzyna", "Agnieszka"),
        ("Kovalenko", "Shevchenko", "Bondarenko", "Tkachenko", "Melnyk", "Kravchenko",
         "Petrenko", "Moroz", "Savchenko", "Lysenko", "Nowak", "Wójcik", "Dimitrov"),
    ),
    "filipino": (
        ("Jose", "Mark", "John Paul", "Rodel", "Ronaldo", "Arnel"),
        ("Maricel", "Jocelyn", "Rowena", "Maria Cristina", "Lorna", "Marites"),
        ("Santos", "Reyes", "Cruz", "Bautista", "Mendoza", "Dela Cruz", "Villanueva"),
    ),
    "turkish_persian": (
        ("Mehmet", "Mustafa", "Ahmet", "Emre", "Reza", "Mehdi", "Amir", "Kaveh"),
        ("Elif", "Zeynep", "Fatma", "Emine", "Maryam", "Zahra", "Shirin", "Parisa"),
        ("Yilmaz", "Kaya", "Demir", "Celik", "Sahin", "Hosseini", "Rezaei", "Ahmadi"),
    ),
    "italian": (
        ("Niccolò", "Nicolò", "Mattia", "Andrea", "Luca", "Marco", "Davide", "Gabriele",
         "Samuele", "Alessandro", "Lorenzo", "Tommaso"),
        ("Giulia", "Chiara", "Sara", "Martina", "Aurora", "Sofia", "Giorgia", "Alessia",
         "Noemi", "Beatrice", "Ilaria", "Federica"),
        ("Rossi", "Russo", "Ferrari", "Esposito", "Romano", "Ferraro", "De Luca", "Colombo"),
    ),
}  # fmt: skip

_ORIGIN = {
    **dict.fromkeys(("MA", "TN", "EG", "DZ", "SY"), "arabic"),
    **dict.fromkeys(("RO", "MD"), "romanian"),
    **dict.fromkeys(("AL", "XK", "MK"), "albanian"),
    "CN": "chinese",
    "BD": "bengali",
    "PK": "pakistani",
    **dict.fromkeys(("IN", "LK"), "indian"),
    **dict.fromkeys(("SN", "CI", "GM", "ML", "CM"), "west_african_fr"),
    **dict.fromkeys(("NG", "GH"), "west_african_en"),
    **dict.fromkeys(("PE", "EC", "CO", "DO", "VE", "AR", "BR"), "latin"),
    **dict.fromkeys(("UA", "RU", "PL", "BG"), "slavic"),
    "PH": "filipino",
    **dict.fromkeys(("TR", "IR"), "turkish_persian"),
}

#: Countries of birth of the programme's participants (relative weights, assumption: the
#: communities of the business register, with fewer Chinese and more recent arrivals from
#: West Africa and Latin America, who use chamber services more).
PARTICIPANT_COUNTRIES = {
    "MA": 12, "AL": 9, "RO": 7, "NG": 7, "SN": 5, "EG": 5, "BD": 5, "PK": 4, "UA": 4,
    "CN": 4, "PE": 4, "EC": 3, "TN": 3, "IN": 3, "BR": 3, "MD": 3, "CO": 2, "CI": 2,
    "GH": 2, "PH": 2, "LK": 2, "CM": 2, "GM": 1.5, "ML": 1.5, "VE": 1.5, "DO": 1,
    "TR": 1, "SY": 1, "AR": 1, "IR": 0.5, "MK": 1, "XK": 1, "DZ": 1, "RU": 0.5,
    "PL": 0.5, "BG": 0.5,
}  # fmt: skip

EDUCATION = ("nessuno", "primaria", "secondaria inferiore", "secondaria superiore", "laurea")
_EDUCATION_P = (0.04, 0.08, 0.27, 0.39, 0.22)
_DOMAINS = ("gmail.com", "libero.it", "hotmail.it", "yahoo.it", "outlook.com", "virgilio.it")


@dataclass(frozen=True)
class Residence:
    """Where a participant lives: municipality name and province sigla."""

    comune: str
    provincia: str


@dataclass(frozen=True)
class Person:
    """A participant's own columns (they repeat on each attendance row of a register)."""

    codice_fiscale: str
    cognome: str
    nome: str
    sesso: str
    data_nascita: dt.date
    paese_nascita: str  # ISO alpha-2, "IT" for the second generation born in Italy
    cittadinanza: str  # ISO alpha-2
    generazione: str  # prima | seconda
    residence: Residence
    titolo_studio: str
    email: str
    telefono: str


def make_person(
    rng: np.random.Generator, provinces: Sequence[str], taken: set[str], *, female_share: float
) -> Person:
    """A new participant living in one of ``provinces`` (ISTAT codes), with a codice fiscale
    not in ``taken`` (it is added). ``female_share`` is the chance of a woman."""
    origin = _choice(rng, tuple(PARTICIPANT_COUNTRIES), tuple(PARTICIPANT_COUNTRIES.values()))
    sex = "F" if rng.random() < female_share else "M"
    residence_code = provinces[int(rng.integers(len(provinces)))]
    home = municipality(rng, residence_code)
    born_in_italy = rng.random() < 0.15
    generation = "seconda" if born_in_italy or rng.random() < 0.04 else "prima"
    names = _NAMES[_ORIGIN[origin]]
    given = _NAMES["italian"] if born_in_italy and rng.random() < 0.4 else names
    surname = names[2][int(rng.integers(len(names[2])))]
    first = given[1 if sex == "F" else 0][int(rng.integers(len(given[1 if sex == "F" else 0])))]
    birth_place = _belfiore(rng, home, residence_code) if born_in_italy else _z_code(origin)
    while True:
        birth = _birth_date(rng, young=born_in_italy)
        code = codice_fiscale.build(surname, first, sex, birth, birth_place)
        if code not in taken:
            taken.add(code)
            break
    citizenship = origin
    if rng.random() < (0.5 if born_in_italy else 0.12):
        citizenship = "IT"
    return Person(
        codice_fiscale=code,
        cognome=surname,
        nome=first,
        sesso=sex,
        data_nascita=birth,
        paese_nascita="IT" if born_in_italy else origin,
        cittadinanza=citizenship,
        generazione=generation,
        residence=Residence(home[1], province_sigla(residence_code)),
        titolo_studio=_choice(rng, EDUCATION, _EDUCATION_P),
        email=_email(rng, first, surname),
        telefono=_phone(rng),
    )


def _choice(rng: np.random.Generator, values: Sequence[str], weights: Sequence[float]) -> str:
    return values[int(np.searchsorted(_cdf(tuple(weights)), rng.random(), side="right"))]


@cache
def _cdf(weights: tuple[float, ...]) -> FloatArray:
    cumulative = np.cumsum(np.asarray(weights, dtype=np.float64))
    cdf: FloatArray = cumulative / cumulative[-1]
    return cdf


def _birth_date(rng: np.random.Generator, *, young: bool) -> dt.date:
    """Age at the programme (2021): mostly 30-44; the second generation younger."""
    if young:
        age = int(rng.integers(18, 36))
    else:
        low, high = _ADULT_AGES[int(np.searchsorted(_ADULT_CDF, rng.random(), side="right"))]
        age = int(rng.integers(low, high))
    return dt.date(2021 - age, 1, 1) + dt.timedelta(days=int(rng.integers(0, 365)))


_ADULT_AGES = ((18, 30), (30, 45), (45, 65))
_ADULT_CDF = np.cumsum([0.28, 0.5, 0.22])


def _email(rng: np.random.Generator, first: str, surname: str) -> str:
    def plain(text: str) -> str:
        ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
        return "".join(c for c in ascii_text.lower() if c.isalnum())

    suffix = str(int(rng.integers(1, 99))) if rng.random() < 0.5 else ""
    separator = "." if rng.random() < 0.6 else ""
    domain = _DOMAINS[int(rng.integers(len(_DOMAINS)))]
    return f"{plain(first)}{separator}{plain(surname)}{suffix}@{domain}"


def _phone(rng: np.random.Generator) -> str:
    """An Italian mobile number written the way people write them (several habits)."""
    prefix = f"3{rng.integers(20, 94)}"
    number = f"{int(rng.integers(0, 10_000_000)):07d}"
    style = int(rng.integers(4))
    if style == 0:
        return prefix + number
    if style == 1:
        return f"+39 {prefix} {number}"
    if style == 2:
        return f"{prefix}-{number}"
    return f"{prefix} {number[:3]} {number[3:]}"


def municipality(rng: np.random.Generator, province: str) -> tuple[str, str]:
    """(Belfiore, name) of a municipality: the provincial capital for about 45 % of people
    (immigrants concentrate in cities), otherwise any municipality of the province."""
    towns = _towns(province)
    if rng.random() < 0.45:
        return towns[0]
    return towns[int(rng.integers(len(towns)))]


def _belfiore(rng: np.random.Generator, home: tuple[str, str], province: str) -> str:
    """Place of birth of someone born in Italy: mostly where they live now."""
    return home[0] if rng.random() < 0.7 else _towns(province)[0][0]


@cache
def _towns(province: str) -> tuple[tuple[str, str], ...]:
    """Municipalities of a province as (Belfiore, name), the capital first."""
    towns = sorted(
        (r["belfiore"], r["name"]) for r in read_codes("comuni") if r["province"] == province
    )
    name = next(r["name"] for r in read_codes("territori") if r["code"] == province)
    first_word = name.replace("-", " ").split()[0]
    capital = next((t for t in towns if t[1] == name), None) or next(
        (t for t in towns if t[1].split()[0] == first_word), towns[0]
    )
    return (capital, *[t for t in towns if t != capital])


@cache
def province_sigla(province: str) -> str:
    return next(r["sigla"] for r in read_codes("territori") if r["code"] == province)


@cache
def _z_code(country: str) -> str:
    """The "Z" code of a foreign state (the active one when the state had several)."""
    codes = sorted(
        r["belfiore"]
        for r in read_codes("esteri")
        if r["iso2"] == country and r["active"] == "true"
    )
    return codes[0]

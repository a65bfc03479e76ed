"""ATECO 2007 subcategories the synthetic firms are coded with, by section.

The published code list (``riferimenti/ateco``) stops at divisions; the business register uses
six-digit subcategories (``47.11.40``). These are real ATECO 2007 subcategories, chosen among
the activities where foreign-born entrepreneurs are most present (figures.md B.3: retail and
street trade, specialised construction, restaurants and bars, clothing, cleaning, phone
centres, hairdressers), with relative weights inside each section (assumption).
"""

from __future__ import annotations

SECTION_CODES: dict[str, tuple[tuple[str, float], ...]] = {
    "A": (("01.11.10", 3), ("01.13.10", 3), ("01.21.00", 2), ("01.41.00", 2), ("01.61.00", 2),
          ("02.20.00", 1)),
    "B": (("08.11.00", 1),),
    "C": (("10.71.10", 3), ("14.13.10", 3), ("14.13.20", 1), ("15.20.10", 1), ("25.62.00", 2),
          ("32.12.10", 1), ("13.92.20", 1), ("16.23.20", 1)),
    "D": (("35.11.00", 1),),
    "E": (("38.11.00", 1),),
    "F": (("43.39.01", 5), ("41.20.00", 3), ("43.34.00", 2), ("43.21.01", 2), ("43.22.01", 2),
          ("43.31.00", 1), ("43.32.02", 1)),
    "G": (("47.11.40", 3), ("47.81.01", 2), ("47.82.01", 3), ("47.89.09", 3), ("47.71.10", 2),
          ("47.21.01", 1), ("46.90.00", 2), ("45.20.10", 1), ("47.91.10", 1), ("47.42.00", 1),
          ("47.76.10", 1), ("47.29.90", 1), ("46.42.10", 1), ("45.11.01", 1)),
    "H": (("49.41.00", 4), ("49.32.10", 1), ("53.20.00", 2), ("52.29.22", 1)),
    "I": (("56.10.11", 4), ("56.10.20", 3), ("56.30.00", 3), ("56.10.30", 1), ("55.10.00", 1),
          ("55.20.51", 1)),
    "J": (("61.90.20", 2), ("61.90.91", 1), ("62.01.00", 2), ("62.02.00", 1), ("63.11.19", 1),
          ("58.11.00", 1)),
    "K": (("66.19.22", 2), ("66.22.01", 1)),
    "L": (("68.20.01", 2), ("68.31.00", 1)),
    "M": (("70.22.09", 2), ("69.20.11", 1), ("74.10.21", 1), ("73.11.02", 1), ("74.90.99", 1)),
    "N": (("81.21.00", 4), ("81.22.02", 1), ("82.99.99", 2), ("77.11.00", 1), ("80.10.00", 1),
          ("79.11.00", 1)),
    "P": (("85.59.20", 2), ("85.52.01", 1)),
    "Q": (("86.90.29", 1), ("88.10.00", 1)),
    "R": (("93.29.90", 1), ("93.13.00", 1), ("92.00.02", 1)),
    "S": (("96.02.01", 4), ("96.02.02", 2), ("96.09.09", 1), ("95.12.01", 1), ("94.99.90", 1),
          ("96.01.10", 1)),
}  # fmt: skip

#: Chinese manufacturing is mostly clothing (Prato's district, figures.md B.3 and B.4).
CHINESE_MANUFACTURING: tuple[tuple[str, float], ...] = (
    ("14.13.10", 6),
    ("14.13.20", 1),
    ("15.20.10", 1),
    ("13.92.20", 1),
)

#: Divisions in which programme participants create their firms (registers), with weights.
PARTICIPANT_DIVISIONS: tuple[tuple[str, float], ...] = (
    ("47", 8), ("56", 5), ("96", 4), ("43", 4), ("62", 2), ("82", 2), ("10", 2), ("14", 1),
    ("49", 1), ("74", 1), ("85", 1), ("01", 1), ("88", 1),
)  # fmt: skip

"""Code lists copied into each statistical package, one resource per dimension.

The standard validator does not follow foreign keys across packages, so every package carries
the codes its tables use: ``code``, ``parent`` (``_T`` for a top-level code, empty for ``_T``
itself), ``label_it`` and ``label_en``. Labels of the shared lists come from ``riferimenti``;
the short lists that belong to the tables (ownership, sex, age band…) are defined here, with
the definitions the tables' questions use. A code with no known label fails the build rather
than being published unexplained.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import pandas as pd

from odata.anonymize.model import TOTAL, Dimension
from odata.errors import DataError
from odata.reference import read_codes

__all__ = ["COLUMNS", "code_list", "resource_name"]

COLUMNS = ("code", "parent", "label_it", "label_en")

#: Labels of the lists that belong to the tables: code -> (Italian, English).
_FIXED: Mapping[str, Mapping[str, tuple[str, str]]] = {
    "titolarita": {
        "migrante": (
            "Migrante (oltre il 50% a nati all'estero)",
            "Migrant (over 50% foreign-born)",
        ),
        "mista": ("Mista (fino al 50% a nati all'estero)", "Mixed (up to 50% foreign-born)"),
        "nativa": ("Nativa", "Native"),
    },
    "sesso": {"M": ("Maschi", "Men"), "F": ("Femmine", "Women")},
    "classe_eta": {
        "Y_LT25": ("Meno di 25 anni", "Under 25"),
        "Y25T34": ("25-34 anni", "25-34 years"),
        "Y35T44": ("35-44 anni", "35-44 years"),
        "Y45T54": ("45-54 anni", "45-54 years"),
        "Y55T64": ("55-64 anni", "55-64 years"),
        "Y_GE65": ("65 anni e più", "65 and over"),
    },
    "generazione": {
        "prima": ("Prima generazione (nati all'estero)", "First generation (born abroad)"),
        "seconda": ("Seconda generazione", "Second generation"),
    },
    "forma_giuridica": {
        "ditta-individuale": ("Ditta individuale", "Sole proprietorship"),
        "societa-di-persone": ("Società di persone", "Partnership"),
        "societa-di-capitali": ("Società di capitali", "Limited company"),
        "cooperativa": ("Cooperativa", "Cooperative"),
        "altra-forma": ("Altra forma", "Other legal form"),
    },
    "modalita": {
        "in-presenza": ("In presenza", "In person"),
        "online": ("Online", "Online"),
        "mista": ("Mista", "Blended"),
    },
    "indicatore": {
        "informati": ("Persone informate", "Persons informed"),
        "orientati": ("Persone orientate", "Persons oriented"),
        "formati": ("Persone formate", "Persons trained"),
        "business-plan": ("Business plan", "Business plans"),
        "imprese": ("Imprese costituite", "Firms created"),
    },
    "misura": {
        "raggiunto": ("Raggiunto", "Reached"),
        "obiettivo": (
            "Obiettivo (per una camera: quota attesa)",
            "Target (for a chamber: expected share)",
        ),
    },
    "voce": {
        "azioni-camerali": ("Azioni delle camere di commercio", "Chambers' actions"),
        "cassetto-digitale": ("Cassetto digitale", "Digital drawer"),
        "comunicazione": ("Comunicazione", "Communication"),
        "coordinamento": ("Coordinamento", "Coordination"),
        "osservatorio": ("Osservatorio", "Observatory"),
        "sistema-online-e-cruscotto": ("Sistema online e cruscotto", "Online system and dashboard"),
    },
}

#: Labels of the ``_T`` row and of the other special codes, by dimension where they differ.
_TOTAL_LABELS = {"territorio": ("Italia", "Italy")}
_SPECIAL = {
    "_U": (
        "Non rilevata (nati in Italia con cittadinanza italiana)",
        "Not recorded (born in Italy, Italian citizens)",
    ),
    "_Z": ("Coordinamento centrale (nessuna camera)", "Central coordination (no chamber)"),
}


def resource_name(dimension: str) -> str:
    """The code list's resource name in a package: ``codici-<dimension>`` (hyphens only)."""
    return "codici-" + dimension.replace("_", "-")


def code_list(dimension: Dimension, codes: Iterable[str]) -> pd.DataFrame:
    """The code list of ``dimension`` restricted to ``codes`` (``_T`` first, then in the
    order given), parents taken from the dimension's hierarchy.

    Raises:
        DataError: a code has no label.
    """
    name = dimension.name
    known = _labels(name)
    rows = []
    for code in [TOTAL, *(c for c in dict.fromkeys(codes) if c != TOTAL)]:
        label = known.get(code) or _time_label(name, code)
        if label is None:
            raise DataError(f"code {code!r} of dimension {name} has no label", column=name)
        rows.append((code, dimension.parent(code) or "", *label))
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _labels(dimension: str) -> dict[str, tuple[str, str]]:
    """Every known code of a dimension: code -> (label_it, label_en)."""
    out: dict[str, tuple[str, str]] = {TOTAL: _TOTAL_LABELS.get(dimension, ("Totale", "Total"))}
    out.update(_SPECIAL)
    if dimension == "territorio":
        for row in read_codes("territori"):
            if row["code"] != TOTAL:
                out[row["code"]] = (row["name"], row["name"])
    elif dimension == "sezione_ateco":
        for row in read_codes("ateco"):
            if row["level"] == "section":
                out[row["code"]] = (row["name_it"], row["name_en"])
    elif dimension in ("area_nascita", "area_origine"):
        for row in read_codes("aree"):
            out[row["code"]] = (row["name_it"], row["name_en"])
    elif dimension == "camera":
        for row in read_codes("camere_commercio"):
            english = row["name"].replace("Camera di commercio di", "Chamber of commerce of")
            out[row["code"]] = (row["name"], english)
    elif dimension == "azione":
        for row in read_codes("azioni"):
            out[row["code"]] = (row["name_it"], row["name_en"])
    else:
        out.update(_FIXED.get(dimension, {}))
    return out


def _time_label(dimension: str, code: str) -> tuple[str, str] | None:
    """Labels made from a time code (years, quarters, cohorts, statuses): those lists depend
    on the period of the data."""
    if dimension == "anno" and re.fullmatch(r"[0-9]{4}", code):
        return (code, code)
    if dimension == "trimestre" and (m := re.fullmatch(r"([0-9]{4})-Q([1-4])", code)):
        return (f"{m[2]}° trimestre {m[1]}", f"Q{m[2]} {m[1]}")
    if dimension == "coorte":
        if m := re.fullmatch(r"[0-9]{4}", code):
            return (f"Iscritte nel {code}", f"Registered in {code}")
        if m := re.fullmatch(r"ANTE([0-9]{4})", code):
            return (f"Iscritte prima del {m[1]}", f"Registered before {m[1]}")
        if m := re.fullmatch(r"FINO([0-9]{4})", code):
            return (f"Iscritte fino al {m[1]}", f"Registered up to {m[1]}")
    if dimension == "stato":
        if m := re.fullmatch(r"ATT([0-9]{4})", code):
            return (f"Attive a fine {m[1]}", f"Active at the end of {m[1]}")
        if m := re.fullmatch(r"CESS([0-9]{4})", code):
            return (f"Cessate nel {m[1]}", f"Closed in {m[1]}")
    return None

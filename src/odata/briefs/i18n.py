"""Every word a visitor reads, in Italian and English (identifiers stay English)."""

from __future__ import annotations

__all__ = ["CONFIDENTIAL", "t"]

CONFIDENTIAL = {"it": "riservato", "en": "confidential"}

_TEXT: dict[str, tuple[str, str]] = {
    # frame
    "language": ("Lingua", "Language"),
    "source": ("Fonte", "Source"),
    "licence": ("Licenza", "Licence"),
    "edition": ("Edizione", "Edition"),
    "dataset": ("dati sul portale", "data on the portal"),
    "table": ("Tabella dei dati", "Data table"),
    "period": ("Periodo", "Period"),
    "series": ("Serie", "Series"),
    "value": ("Valore", "Value"),
    "released": ("pubblicata il", "released on"),
    "download": ("Scarica questa vista (ZIP con CSV)", "Download this view (ZIP with CSV)"),
    "permalink": ("Link a questa vista", "Link to this view"),
    "confidential_note": (
        "«riservato»: valore nascosto dal controllo della divulgazione statistica, non zero.",
        "'confidential': value hidden by statistical disclosure control, not zero.",
    ),
    "unavailable": (
        "I dati non sono raggiungibili in questo momento. Riprova tra qualche minuto.",
        "The data cannot be reached right now. Please try again in a few minutes.",
    ),
    "static_note": (
        "Versione statica della vista predefinita: la versione interattiva si apre appena è "
        "libera.",
        "Static version of the default view: the interactive version opens as soon as it is free.",
    ),
    "preview_note": (
        "Vista predefinita: i filtri interattivi si stanno caricando.",
        "Default view: the interactive filters are loading.",
    ),
    # filters
    "year": ("Anno", "Year"),
    "territory": ("Territorio", "Territory"),
    "sector": ("Settore", "Sector"),
    "chamber": ("Camera di commercio", "Chamber of commerce"),
    "action": ("Azione", "Action"),
    "indicator": ("Indicatore delle camere", "Chambers' indicator"),
    "topic": ("Argomento", "Topic"),
    "guide_language": ("Lingua della guida", "Guide language"),
    "search": ("Cerca", "Search"),
    "all": ("Tutti", "All"),
    # imprese
    "imprese.title": ("Imprese migranti", "Migrant-owned firms"),
    "imprese.lead": (
        "Imprese attive a fine anno guidate da persone nate all'estero: quante sono, dove, in "
        "quali settori, con quale forma giuridica, chi le guida e quanto durano.",
        "Firms active at year end run by people born abroad: how many, where, in which "
        "sectors, with which legal form, who runs them and how long they last.",
    ),
    "migrant_firms": ("Imprese migranti attive", "Active migrant-owned firms"),
    "share_all": ("Quota sul totale delle imprese", "Share of all firms"),
    "compare": ("Confronto con regione e Italia", "Comparison with region and Italy"),
    "map": ("Incidenza per provincia", "Share by province"),
    "trend": ("Andamento negli anni", "Trend over the years"),
    "by_sector": ("Per settore (sezioni ATECO)", "By sector (ATECO sections)"),
    "by_form": ("Per forma giuridica", "By legal form"),
    "by_origin": ("Titolari per area di nascita", "Owners by area of birth"),
    "owners": ("Titolari: donne e giovani", "Owners: women and young people"),
    "demography": ("Iscrizioni, cessazioni e tassi", "Registrations, closures and rates"),
    "survival": ("Sopravvivenza delle imprese iscritte", "Survival of registered firms"),
    "firms": ("imprese", "firms"),
    "share_pct": ("quota %", "share %"),
    "women_share": ("Quota di donne", "Share of women"),
    "young_share": ("Quota di under 35", "Share under 35"),
    "registrations": ("Iscrizioni", "Registrations"),
    "closures": ("Cessazioni", "Closures"),
    "birth_rate": ("Tasso di natalità %", "Birth rate %"),
    "death_rate": ("Tasso di mortalità %", "Death rate %"),
    "turnover": ("Tasso di turnover %", "Turnover rate %"),
    "still_active": ("Ancora attive %", "Still active %"),
    # progetto
    "progetto.title": ("Progetto imprese migranti", "Migrant entrepreneurship programme"),
    "progetto.lead": (
        "Le attività delle camere di commercio: obiettivi e ritmo, il percorso dei "
        "partecipanti, le camere, gli eventi, il budget e gli avvisi per la Cabina di Regia.",
        "The chambers' activities: targets and pace, the participants' path, the chambers, "
        "events, budget and the alerts for the steering committee.",
    ),
    "targets": ("Obiettivi: raggiunto e ritmo", "Targets: reached and pace"),
    "funnel": ("Il percorso dei partecipanti", "The participants' path"),
    "chambers": ("Avanzamento delle camere", "Progress of the chambers"),
    "chambers_map": ("Province delle camere", "Provinces of the chambers"),
    "participants_sex_age": ("Partecipanti per sesso ed età", "Participants by sex and age"),
    "participants_origin": ("Partecipanti per origine", "Participants by origin"),
    "events": ("Eventi per trimestre", "Events by quarter"),
    "budget": ("Budget: previsto, impegnato, speso", "Budget: planned, committed, spent"),
    "alerts": ("Avvisi per la Cabina di Regia", "Alerts for the steering committee"),
    "reached": ("raggiunto", "reached"),
    "target": ("obiettivo", "target"),
    "expected_now": ("atteso a oggi", "expected by now"),
    "pct_target": ("% dell'obiettivo", "% of target"),
    "events_n": ("eventi", "events"),
    "eur": ("euro", "EUR"),
    "no_alerts": ("Nessun avviso.", "No alerts."),
    "severity": ("Gravità", "Severity"),
    "reason": ("Motivo", "Reason"),
    "rests_on": ("Celle su cui si basa", "Cells it rests on"),
    # cassetto
    "cassetto.title": ("Cassetto digitale", "Digital drawer"),
    "cassetto.lead": (
        "Guide pratiche per chi avvia o guida un'impresa, per argomento e lingua.",
        "Practical guides for people starting or running a business, by topic and language.",
    ),
    "catalogue": ("Catalogo delle guide", "Guide catalogue"),
    "guides_by_topic": ("Guide per argomento e lingua", "Guides by topic and language"),
    "open_guide": ("Apri la guida", "Open the guide"),
    "no_guides": ("Nessuna guida corrisponde alla ricerca.", "No guide matches the search."),
    "guides": ("guide", "guides"),
}


def t(key: str, lang: str) -> str:
    """The text of ``key`` in ``lang`` (Italian when the language is unknown)."""
    it, en = _TEXT[key]
    return en if lang == "en" else it

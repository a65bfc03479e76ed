"""Public briefs: Voilà notebooks over the published tables (see docs/briefs.md).

``settings`` (what kernels are told), ``data`` (published tables from the portal or a
release), ``view`` (filters, panels, download), ``charts`` (Vega-Lite → SVG), one module per
brief (``imprese``, ``progetto``, ``cassetto``), ``app`` (the widgets), ``static`` (the
pre-rendered default views) and ``server`` (the hardened Voilà behind `odata briefs serve`).
"""

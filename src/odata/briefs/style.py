"""The briefs' stylesheet, shared by the live page and the static page (no external fonts)."""

CSS = """
.odata-brief { font-family: 'DejaVu Sans', Arial, sans-serif; color: #1a1a1a; max-width: 1100px;
  line-height: 1.45; }
.odata-brief h1 { font-size: 1.6rem; margin: .3rem 0; }
.odata-brief h3 { font-size: 1.1rem; margin: .2rem 0 .4rem; }
.odata-lead { font-size: 1rem; margin: 0 0 .6rem; }
.odata-panels { display: flex; flex-wrap: wrap; gap: 1rem; }
.odata-panel { margin: 0; padding: .6rem; border: 1px solid #d0d0d0; border-radius: 4px;
  background: #fff; max-width: 100%; box-sizing: border-box; overflow-x: auto; }
.odata-chart svg { max-width: 100%; height: auto; }
.odata-alt { font-size: .85rem; color: #333; }
.odata-source { font-size: .8rem; color: #333; }
.odata-source a, .odata-links a { color: #0057a3; }
.odata-table table { border-collapse: collapse; font-size: .85rem; }
.odata-table th, .odata-table td { border: 1px solid #ccc; padding: 2px 6px; text-align: left; }
.odata-note { font-size: .85rem; background: #fff8e1; border-left: 4px solid #E69F00;
  padding: .3rem .6rem; }
.odata-error { font-size: 1rem; background: #fdecea; border-left: 4px solid #D55E00;
  padding: .5rem .8rem; }
.odata-links { margin: .4rem 0; display: flex; gap: 1.2rem; flex-wrap: wrap; }
.odata-catalogue td, .odata-catalogue th { vertical-align: top; }
.odata-alerts { width: 100%; table-layout: fixed; border-collapse: collapse; font-size: .85rem; }
.odata-alerts th, .odata-alerts td { border: 1px solid #ccc; padding: 2px 6px; text-align: left;
  vertical-align: top; overflow-wrap: anywhere; }
.odata-alerts th:nth-child(1) { width: 12%; } .odata-alerts th:nth-child(2) { width: 22%; }
.odata-alerts th:nth-child(3) { width: 36%; }
@media (max-width: 600px) {
  .odata-brief h1 { font-size: 1.25rem; }
  .odata-panel { padding: .3rem; }
}
"""

"""The Observatory report: chapters computed from a release's published tables, executed as
notebooks (``notebooks/NN-*.ipynb``) and rendered to one self-contained HTML and a PDF.

``chapters`` holds the content (each number from a published cell, cited by dataset and
table; charts are the briefs' panels, so report and briefs agree to the last digit);
``build`` executes the notebooks with papermill and assembles, prints and scans the result.
"""

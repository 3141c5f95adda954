"""The half-year report is a tagged, accessible PDF (PDF/UA): a screen reader finds its language, its title,
headings in order, tables with header cells, and for each chart a text that says what it shows.

The data are those of tests/test_downloads.py (figures worked out by hand there). The structure tree is read
back with pypdf; `pdfinfo` (poppler-utils) says whether the file is tagged, as a PDF reader would."""

import io
import re
import subprocess
from datetime import date

import numpy as np
import pytest
from matplotlib.image import imsave
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject

from surveys.extensions import db
from surveys.report_pdf import halfyear_report_pdf
from surveys.services import organisation
from surveys.services.questionnaires import seed
from surveys.services.reports import select_kpis

from .conftest import make_app, reset_postgres
from .test_downloads import PERIOD, pdf_pages, store_report_data, stored  # noqa: F401  (a fixture)


def logo_png() -> bytes:
    """A logo of 300 × 90 pixels: a teal bar with a white square in it."""
    pixels = np.zeros((90, 300, 3))
    pixels[:] = (0, 0x57 / 255, 0x6B / 255)
    pixels[20:70, 20:70] = 1
    buffer = io.BytesIO()
    imsave(buffer, pixels, format="png")
    return buffer.getvalue()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def report(request, tmp_path_factory) -> bytes:
    """The report of tests/test_downloads.py's data, with a PNG logo, made once per database kind: each
    report takes seconds to lay out."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('report') / 'surveys.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres_url")
        reset_postgres(url)
    app = make_app(url)
    with app.app_context():
        db.create_all()
        seed()
        store_report_data()
        organisation.set_logo(logo_png(), actor="test")
        data = halfyear_report_pdf(PERIOD, made_on=date(2026, 7, 12))
        db.session.remove()
        db.engine.dispose()
    return data


def structure(reader: PdfReader) -> list[dict]:
    """Every element of the structure tree in reading order: its type (/S), depth, /Alt, the types of its
    children, and a table cell's /ID (a header) or /Headers (the ids of the headers of a data cell)."""
    elements = []

    def walk(node, depth):
        node = node.get_object()
        if isinstance(node, ArrayObject):
            for kid in node:
                walk(kid, depth)
            return
        if not isinstance(node, DictionaryObject) or "/S" not in node:
            return  # a marked-content id or an object reference: content, not structure
        attributes = node.get("/A")
        attributes = attributes.get_object() if attributes is not None else {}
        headers = attributes.get("/Headers") if isinstance(attributes, DictionaryObject) else None
        element = {"type": str(node["/S"])[1:], "depth": depth, "alt": node.get("/Alt"), "kids": [],
                   "id": node.get("/ID"), "headers": None if headers is None else list(headers)}
        elements.append(element)
        if "/K" in node:
            before = len(elements)
            walk(node["/K"], depth + 1)
            element["kids"] = [kid["type"] for kid in elements[before:] if kid["depth"] == depth + 1]

    root = reader.trailer["/Root"]["/StructTreeRoot"].get_object()
    walk(root["/K"], 0)
    return elements


def test_the_report_is_tagged_with_language_title_headings_tables_and_described_images(report):
    info = subprocess.run(["pdfinfo", "-"], input=report, capture_output=True, check=True).stdout.decode()
    assert re.search(r"^Tagged:\s+yes$", info, re.MULTILINE), info
    assert re.search(r"^Title:\s+Waardering 2026-H1$", info, re.MULTILINE), info

    reader = PdfReader(io.BytesIO(report))
    root = reader.trailer["/Root"]
    # The language, marked content, and a reader that shows the title rather than the file name.
    assert (root["/Lang"], root["/MarkInfo"]["/Marked"], root["/ViewerPreferences"]["/DisplayDocTitle"]) \
        == ("nl", True, True)
    assert reader.metadata.title == f"Waardering {PERIOD}"
    assert b"pdfuaid:part" in reader.xmp_metadata.stream.get_data()  # it says it is PDF/UA-1

    elements = structure(reader)
    types = [element["type"] for element in elements]
    # Headings in order: the cover's title is the first H1, then "KPI's in" and "Uitkomsten per vraag"; no level
    # is skipped, and each question is an H3 under its questionnaire's H2.
    headings = [int(kind[1]) for kind in types if re.fullmatch(r"H[1-6]", kind)]
    assert headings[:4] == [1, 2, 2, 1] and headings.count(1) == 3
    assert all(later <= earlier + 1 for earlier, later in zip(headings, headings[1:], strict=False))
    assert 3 in headings
    # Real tables: the KPI table, the response table and one per shown question (C4, P1, P2, M1; G1 is
    # hidden), each with a caption; every data cell is tied to two header cells, its row's and its column's.
    tables = [element for element in elements if element["type"] == "Table"]
    assert len(tables) == 6 and all(table["kids"][0] == "Caption" for table in tables)
    header_ids = {str(element["id"]) for element in elements if element["type"] == "TH"}
    cells = [element for element in elements if element["type"] == "TD"]
    assert cells and all(len(cell["headers"]) == 2 and {str(h) for h in cell["headers"]} <= header_ids
                         for cell in cells)
    # Every image says what it shows: the logo, and a chart for C4, P1 and M1 (G1 and C1-C3 have no figure
    # in any half-year, so no chart) with its figures in words.
    figures = [str(element["alt"]) for element in elements if element["type"] == "Figure"]
    assert len(figures) == 4 and figures[0] == "Logo van Stichting Sociaal Team Houten"
    assert [alt.split(" in ")[0].split(" per halfjaar")[0] for alt in figures[1:]] == [
        "Grafiek van Cliënten die na de hulp zelf weer verder kunnen", "Grafiek van Partnerwaardering voor de "
        "samenwerking", "Grafiek van Waardering van medewerkers en management voor huis op orde"]
    assert figures[2] == ("Grafiek van Partnerwaardering voor de samenwerking in 2026-H1. "
                          "2026-H1: 7,60, 95%-interval 6,37 – 8,83, n = 5. De norm is > 7.")
    assert figures[3].endswith("2026-H1: 8,00, 95%-interval 6,28 – 9,72, n = 5. De norm is > 7.")
    # The gemeente's two answers (minimum 3) are in no text for a screen reader either.
    assert not any(re.search(r"\b9,50?\b", alt) or "Gemeente" in alt for alt in figures)


def test_the_cover_names_the_organisation_above_the_title(report):
    assert pdf_pages(report)[0].startswith(f"Stichting Sociaal Team Houten Waardering {PERIOD} Hoe cliënten")


def test_page_one_says_pagina_1_van_the_real_page_count(report):
    pages = pdf_pages(report)
    total = len(pages)
    assert pages[0].endswith(f"pagina 1 van {total}")
    assert [page[page.rindex("pagina"):] for page in pages] == [f"pagina {n} van {total}" for n in range(1, total + 1)]


def test_the_report_shows_no_internal_codes(report):
    everything = " ".join(pdf_pages(report))
    words = set(re.findall(r"[\w-]+", everything))
    codes = {"t-moderated", "t-moderated-fpc", "wilson", "wilson-fpc", "respondent_role", "help_from",
             "organisation_type", *(kpi.key for kpi in select_kpis())}
    assert not codes & words
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", everything)  # no snake_case key of any kind


SVG_LOGO = (b'<svg xmlns="http://www.w3.org/2000/svg" width="300" height="90" viewBox="0 0 300 90">'
            b'<title>Logo</title><rect width="300" height="90" fill="#00576B"/>'
            b'<circle cx="45" cy="45" r="25" fill="#FFFFFF"/></svg>')


def test_an_svg_logo_is_drawn_on_the_cover_with_its_text(stored, app):  # noqa: F811
    """reportlab drew no SVG, so the cover had no logo; WeasyPrint draws it, and it gets its alt text."""
    with app.app_context():
        organisation.set_logo(SVG_LOGO, actor="test")
        report = halfyear_report_pdf(PERIOD, made_on=date(2026, 7, 12))
    figures = [element for element in structure(PdfReader(io.BytesIO(report))) if element["type"] == "Figure"]
    assert [str(figure["alt"]) for figure in figures][0] == "Logo van Stichting Sociaal Team Houten"
    assert len(figures) == 4

"""Free text sent through the real form, exported as CSV and opened in a real spreadsheet engine with both
separators: no cell may become a formula (DESIGN.md §10). The audit's route: ``;=HYPERLINK(...)`` in the
comma file, or ``,=1+1`` in the semicolon file, ran as a formula in LibreOffice once the file was opened
with the other separator, which the usual apostrophe at the start of a cell does not stop.

LibreOffice converts every file at once per separator (it is slow to start), with formulas evaluated as
a person opening the file would get them; openpyxl then reads each cell of the result."""

import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

from surveys import periods
from surveys.exports import raw_responses_csv
from surveys.extensions import db
from surveys.services.questionnaires import seed

from ..conftest import make_app, reset_postgres
from ..helpers import GOOD_ANSWERS, fill_in, publish, register_tablet
from .common import report

pytestmark = pytest.mark.attack

SOFFICE = shutil.which("soffice")
NO_SOFFICE = "LibreOffice not found: apt-get install libreoffice-calc-nogui"
# What a respondent may type as free text to plant a formula for the other separator, one per response.
HOSTILE = ['=1+1', ';=HYPERLINK("http://aanvaller.example","klik")', ',=HYPERLINK("http://aanvaller.example";"klik")',
           'x;=1+1', 'x,=1+1', 'x;""=1+1', 'x; =1+1', 'x,\t=1+1', 'regel\n=1+1', 'x;-1+1', 'x,+1+1', 'x;@SUM(1)',
           'a;"=2+2"', 'x,"""=3+3']
# LibreOffice's CSV import options: separator, text delimiter ("), UTF-8, from line 1, no column formats,
# English (US), quoted fields not forced to text, no special numbers, (export options), no trimming,
# (sheet), and token 13: evaluate formulas, as a person who opens the file gets it.
SEPARATORS = {"comma": 44, "semicolon": 59}


def filter_options(separator: int) -> str:
    return f"CSV:{separator},34,76,1,,1033,false,false,false,false,false,-1,true"


def exports_of(database_url: str, folder: Path, kind: str) -> list[Path]:
    """The raw export of the cliënt questionnaire in both dialects, after one response per hostile text
    on the office tablet's form (enough responses for the minimum n)."""
    app = make_app(database_url)
    with app.app_context():
        db.create_all()
        seed()
    client = app.test_client()
    register_tablet(client)
    for text in HOSTILE:
        assert fill_in(client, "/q/client", {**GOOD_ANSWERS["client"], "C10": text}).status_code == 303
    files = []
    with app.app_context():
        publish(str(periods.half_year_of(periods.today())), questionnaires=("client",))  # the export's rows
        for dialect, name in (("international", "comma"), ("dutch", "semicolon")):
            path = folder / f"antwoorden-{kind}-{name}.csv"
            path.write_text("".join(raw_responses_csv("client", period=periods.half_year_of(periods.today()),
                                                      dialect=dialect)), encoding="utf-8", newline="")
            files.append(path)
        db.session.remove()
        db.engine.dispose()
    return files


def open_in_libreoffice(files: list[Path], separator: int, out: Path, profile: Path) -> list[Path]:
    subprocess.run([SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                    f"--infilter={filter_options(separator)}", "--convert-to", "xlsx", "--outdir", str(out),
                    *map(str, files)], check=True, capture_output=True, timeout=180)
    converted = [out / f"{path.stem}.xlsx" for path in files]
    assert all(path.is_file() for path in converted), list(out.iterdir())
    return converted


def test_no_csv_cell_becomes_a_formula_with_either_separator(request, tmp_path):
    if SOFFICE is None:
        pytest.skip(NO_SOFFICE)
    files = exports_of(f"sqlite:///{tmp_path / 'surveys.sqlite3'}", tmp_path, "sqlite")
    try:
        postgres = request.getfixturevalue("postgres_url")
    except pytest.skip.Exception:
        postgres = None  # the reason is in the summary of the PostgreSQL tests
    if postgres:
        reset_postgres(postgres)
        files += exports_of(postgres, tmp_path, "postgresql")

    formulas, cells, hyperlinks_as_text = [], 0, 0
    for name, separator in SEPARATORS.items():
        for path in open_in_libreoffice(files, separator, tmp_path / name, tmp_path / "profile"):
            for sheet in load_workbook(path):
                for row in sheet.iter_rows():
                    for cell in row:
                        if cell.value is None:
                            continue
                        cells += 1
                        value = str(cell.value)
                        hyperlinks_as_text += "HYPERLINK" in value
                        if cell.data_type == "f" or value.startswith("="):
                            formulas.append(f"{path.stem} opened with {name}: {cell.coordinate} {value!r}")
    report("csv formulas", postgres or "sqlite", files=len(files), workbooks=len(files) * len(SEPARATORS),
           cells=cells, formula_cells=len(formulas))
    # Each workbook holds the two HYPERLINK texts, as text.
    assert hyperlinks_as_text >= 2 * len(files) * len(SEPARATORS)
    assert formulas == []

"""The wheel and what it installs: the migrations inside the package, found from any directory; the
service runs from the virtualenv, never from this checkout."""

import subprocess
import zipfile

import pytest

from ..server import ROOT

pytestmark = [pytest.mark.production, pytest.mark.postgres]


def test_the_wheel_holds_every_migration_file_inside_the_package(production):
    names = set(zipfile.ZipFile(production.wheel).namelist())
    expected = {f"surveys/migrations/{path.relative_to(ROOT / 'migrations')}"
                for path in (ROOT / "migrations").rglob("*") if path.is_file() and "__pycache__" not in path.parts}
    assert {"surveys/migrations/env.py", "surveys/migrations/alembic.ini",
            "surveys/migrations/script.py.mako"} <= expected
    assert expected - names == set()
    assert {"surveys/wsgi.py", "surveys/gunicorn_conf.py"} <= names
    # The half-year report's template and its stylesheet (package data, not Python).
    assert {"surveys/templates/report/halfyear.html", "surveys/templates/report/report.css"} <= names
    assert not any(name.startswith(("tests/", "bench/", "migrations/")) for name in names)


def test_the_installed_package_upgrades_from_its_own_migrations(production):
    code = "import surveys, surveys.config; print(surveys.__file__); print(surveys.config.MIGRATIONS_DIR)"
    where = subprocess.run([str(production.venv / "bin" / "python"), "-c", code],
                           cwd=production.workdir, env=production.environment, capture_output=True, text=True,
                           check=True).stdout.split()
    site_packages = next((production.venv / "lib").glob("python3*/site-packages"))
    assert where == [str(site_packages / "surveys" / "__init__.py"), str(site_packages / "surveys" / "migrations")]
    head = production.flask("db", "heads").split()[0]
    assert f"{head} (head)" in production.flask("db", "current")

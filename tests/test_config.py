"""Configuration: defaults < instance/config.py < SURVEYS_* environment < test mapping, and no start
in production without a real secret key."""

import os

import pytest

from surveys import create_app


@pytest.fixture
def instance(tmp_path, monkeypatch):
    """An empty instance folder of our own (SURVEYS_INSTANCE_PATH), and an environment without other
    SURVEYS_* keys or FLASK_DEBUG, so neither the developer's instance/config.py nor their shell changes
    what the tests see."""
    folder = tmp_path / "instance"
    folder.mkdir()
    for name in list(os.environ):
        if name.startswith("SURVEYS_") or name in ("FLASK_DEBUG", "FLASK_ENV"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SURVEYS_INSTANCE_PATH", str(folder))
    return folder


def write_config(folder, text: str) -> None:
    (folder / "config.py").write_text(text, encoding="utf-8")


def test_each_layer_overrides_the_one_below(instance, monkeypatch):
    write_config(instance, 'SECRET_KEY = "from-the-file"\n'
                           'BASE_URL = "https://file.example"\n'
                           'DEFAULT_MIN_N = 6\n'
                           'CODE_LIMIT = "10 per minute"\n')
    monkeypatch.setenv("SURVEYS_DEFAULT_MIN_N", "7")
    monkeypatch.setenv("SURVEYS_CODE_LIMIT", "20 per minute")

    app = create_app({"CODE_LIMIT": "30 per minute"})

    assert app.instance_path == str(instance)
    assert app.config["OPEN_LINK_LIMIT"] == "30 per hour"  # default, set nowhere else
    assert app.config["BASE_URL"] == "https://file.example"  # file over default
    assert app.config["SECRET_KEY"] == "from-the-file"  # and a real key lets it start outside testing
    assert app.config["DEFAULT_MIN_N"] == 7  # environment over file, read as JSON: a number
    assert app.config["CODE_LIMIT"] == "30 per minute"  # test mapping over environment
    assert not app.debug and not app.testing


def test_without_a_database_url_the_database_is_sqlite_in_the_instance_folder(instance):
    app = create_app({"TESTING": True})

    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'surveys.sqlite3'}"


def test_a_postgresql_url_gets_the_psycopg_driver(instance, monkeypatch):
    monkeypatch.setenv("SURVEYS_DATABASE_URL", "postgresql://surveys:s3cret@db.example:5432/surveys")

    app = create_app({"TESTING": True})

    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://surveys:s3cret@db.example:5432/surveys"


@pytest.mark.parametrize("url", ["postgresql+psycopg://surveys@db.example/surveys", "sqlite:////srv/surveys.sqlite3"])
def test_a_url_that_names_its_driver_is_kept(instance, monkeypatch, url):
    monkeypatch.setenv("SURVEYS_DATABASE_URL", url)

    assert create_app({"TESTING": True}).config["SQLALCHEMY_DATABASE_URI"] == url


def test_production_refuses_to_start_without_a_secret_key(instance):
    with pytest.raises(RuntimeError) as refused:
        create_app()

    message = str(refused.value)
    assert message.startswith("surveys needs a secret key. Set SURVEYS_SECRET_KEY in the environment or "
                              f"SECRET_KEY in {instance / 'config.py'}")
    assert 'python -c "import secrets; print(secrets.token_hex(32))"' in message


@pytest.mark.parametrize("where", ["file", "environment"])
@pytest.mark.parametrize("placeholder", ["change-me", ""])
def test_production_refuses_the_placeholder_key(instance, monkeypatch, where, placeholder):
    if where == "file":
        write_config(instance, f"SECRET_KEY = {placeholder!r}\n")
    else:
        monkeypatch.setenv("SURVEYS_SECRET_KEY", placeholder)

    with pytest.raises(RuntimeError, match="Set SURVEYS_SECRET_KEY in the environment"):
        create_app()


def test_a_secret_key_from_the_environment_wins_over_the_placeholder_in_the_file(instance, monkeypatch):
    write_config(instance, 'SECRET_KEY = "change-me"\n')
    monkeypatch.setenv("SURVEYS_SECRET_KEY", "9f2c1e0a7b3d4c5e6f708192a3b4c5d6")

    assert create_app().config["SECRET_KEY"] == "9f2c1e0a7b3d4c5e6f708192a3b4c5d6"


def test_a_secret_key_of_only_digits_is_refused_rather_than_read_as_a_number(instance, monkeypatch):
    # SURVEYS_* values are parsed as JSON: without the check this key became the int 12345678901234567890
    # and the first form on the site failed while signing its CSRF token.
    monkeypatch.setenv("SURVEYS_SECRET_KEY", "12345678901234567890")

    with pytest.raises(RuntimeError, match="the secret key must be text, not int: "):
        create_app()


def test_development_starts_without_a_secret_key(instance, monkeypatch):
    monkeypatch.setenv("FLASK_DEBUG", "1")

    app = create_app()

    assert app.debug and app.config["SECRET_KEY"] is None


@pytest.mark.parametrize("how", ["mapping", "environment"])
def test_testing_starts_without_a_secret_key(instance, monkeypatch, how):
    if how == "environment":
        monkeypatch.setenv("SURVEYS_TESTING", "true")
        app = create_app()
    else:
        app = create_app({"TESTING": True})

    assert app.testing and app.config["SECRET_KEY"] is None


def test_the_instance_folder_can_be_named_for_an_installed_package(instance, tmp_path, monkeypatch):
    """An installed package would look in $PREFIX/var/surveys-instance; SURVEYS_INSTANCE_PATH names
    another folder, also relative to where the command runs."""
    write_config(instance, 'SMTP_HOST = "mail.from-instance"\n')
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SURVEYS_INSTANCE_PATH", "instance")

    app = create_app({"TESTING": True})

    assert app.instance_path == str(instance)
    assert app.config["SMTP_HOST"] == "mail.from-instance"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'surveys.sqlite3'}"

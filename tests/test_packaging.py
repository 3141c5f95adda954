"""The wheel's contents as setup.cfg declares them: every package of the source tree listed (setup.cfg names
them one by one, since the migrations folder sits outside surveys/), and the settings a production server
loads from the installed package. tests/production/ builds and installs the wheel itself."""

import configparser

from surveys import config

from .server import ROOT


def test_setup_cfg_lists_every_package_of_surveys_and_the_migrations():
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    listed = set(setup["options"]["packages"].split())
    in_tree = {".".join(init.parent.relative_to(ROOT).parts) for init in (ROOT / "surveys").rglob("__init__.py")}
    in_tree |= {".".join(("surveys", *init.parent.relative_to(ROOT).parts))
                for init in (ROOT / "migrations").rglob("__init__.py")}
    assert listed == in_tree
    assert setup["options"]["package_dir"].split() == ["surveys.migrations", "=", "migrations"]


def test_a_checkout_finds_the_migrations_at_the_top_of_the_repository():
    assert config.MIGRATIONS_DIR == str(ROOT / "migrations")


def test_the_top_level_gunicorn_settings_are_the_packages_own():
    from surveys import gunicorn_conf

    settings = {}
    exec(compile((ROOT / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), settings)
    for name in ("workers", "bind", "accesslog", "timeout", "preload_app", "graceful_timeout"):
        assert settings[name] == getattr(gunicorn_conf, name), name

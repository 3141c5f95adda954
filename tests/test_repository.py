"""The repository's own papers agree with each other: the licence setup.cfg names is the LICENSE file's, and
publiccode.yml describes this version under that licence."""

import configparser
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _metadata() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / "setup.cfg", encoding="utf-8")
    return parser["metadata"]


def _publiccode(key: str) -> str:
    match = re.search(rf"^\s*{key}:\s*\"?([^\"\n]+)\"?\s*$", (ROOT / "publiccode.yml").read_text(encoding="utf-8"),
                      re.MULTILINE)
    assert match, f"publiccode.yml has no {key}"
    return match.group(1)


def test_the_licence_file_is_the_licence_setup_cfg_names():
    assert _metadata()["license"] == "EUPL-1.2"
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("EUROPEAN UNION PUBLIC LICENCE v. 1.2\n")


def test_publiccode_describes_this_version_under_that_licence():
    assert _publiccode("publiccodeYmlVersion") == "0.4"
    assert _publiccode("softwareVersion") == _metadata()["version"]
    assert _publiccode("license") == _metadata()["license"]
    assert _publiccode("name") == _metadata()["name"]

"""The README's configuration table is the settings classes' own, and every variable is documented."""

from pathlib import Path

from dashboard import configdoc

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_table_is_generated_and_up_to_date():
    text = README.read_text(encoding="utf-8")
    assert configdoc.table() in text, "README.md is out of date: run python -m dashboard.configdoc --write README.md"


def test_every_setting_has_a_meaning_and_appears_once():
    rows = configdoc.rows()
    names = [r[0] for r in rows]
    assert len(names) == len(set(names))
    assert [r[0] for r in rows if not r[1]] == []
    assert {"GRIDPULSE_TIMEZONE", "GRIDPULSE_MAP_ZOOM", "GRIDPULSE_POLYGON_TOLERANCE_DEG", "GRIDPULSE_PHOTO_DIR"} <= set(names)

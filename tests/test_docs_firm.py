"""The deployment documentation names what a firm runs, and the files it points to exist."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_the_readme_tells_a_firm_how_to_run_workers_and_schedule_the_digest() -> None:
    for words in (
        "reciprocity worker",
        "reciprocity tasks",
        "reciprocity tasks retry ID",
        "Monday at 7:00",
        "TASK_STALE_AFTER_SECONDS",
        "/ready/",
        "pg_dump",
    ):
        assert words in README, words


def test_the_readme_says_every_host_shares_the_key_in_either_mode() -> None:
    assert "Every host serving one database must have the same key, in either mode" in README


def test_every_deployment_file_the_docs_link_exists() -> None:
    linked = set(re.findall(r"\]\(((?:deploy|docs)/[^)#]*)\)", README))
    assert {"deploy/", "docs/scaling.md", "deploy/nginx/reciprocity.conf"} <= linked
    for path in linked:
        assert (ROOT / path).exists(), path
    listed = re.findall(r"^\| `([^`]+)` \|", (ROOT / "deploy/README.md").read_text(), re.M)
    assert listed
    for name in listed:
        assert (ROOT / "deploy" / name).exists(), name

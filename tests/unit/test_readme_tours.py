"""The README shows the tours as they are in docs/, where the e2e suite runs them."""

from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


def _block_after(heading: str) -> str:
    """The first ```sh block after ``heading`` in README.md, as it stands between the fences."""
    text = (ROOT / "README.md").read_text()
    rest = text[text.index(f"\n{heading}\n") :]
    start = rest.index("```sh\n") + len("```sh\n")
    return rest[start : rest.index("```\n", start)]


@pytest.mark.parametrize(
    ("heading", "script"),
    [("## A short tour", "tour.sh"), ("## Procurement tour", "procurement-tour.sh")],
)
def test_readme_tour_is_the_script(heading, script):
    assert _block_after(heading) == (ROOT / "docs" / script).read_text()

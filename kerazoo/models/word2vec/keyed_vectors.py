"""Word vectors with the queries of gensim's `KeyedVectors`, in NumPy.

Similarities are cosines. `most_similar` and `analogy` rank the whole
vocabulary (or its `restrict_vocab` most frequent words) and never return the
query words. Files are read and written in the word2vec formats of
word2vec.c, which gensim's `KeyedVectors.load_word2vec_format` reads:

- text: a header line `"<count> <dim>"`, then one line per word, the word and
  its `dim` numbers separated by spaces;
- binary: the same header, then per word the word, a space, `dim` float32 in
  little-endian order, and a newline.
"""

import itertools

import numpy as np

from kerazoo.utils.arguments import check_choice
from kerazoo.utils.arguments import check_integer

ANALOGY_METHODS = ("3cosadd", "3cosmul")


class KeyedVectors:
    """Words and their vectors: similarity queries, analogies, evaluations, word2vec files.

    Args:
        words: list of str. Distinct words, most frequent first (evaluations
            that take `restrict_vocab` rely on that order).
        vectors: float array `[len(words), dim]`.

    Example:

    >>> vectors = KeyedVectors(["king", "queen", "man", "woman"], np.random.rand(4, 8))
    >>> vectors.most_similar("king", topn=2)
    [('...', 0.9...), ('...', 0.8...)]
    >>> vectors.analogy("man", "king", "woman")  # man is to king as woman is to ?
    [('queen', ...)]
    """

    def __init__(self, words, vectors):
        words = list(words)
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] != len(words):
            raise ValueError(
                f"`vectors` must have shape [len(words), dim] = [{len(words)}, dim]. "
                f"Received: shape={vectors.shape}"
            )
        if not words:
            raise ValueError("`words` must not be empty.")
        self.index_to_key = words
        self.key_to_index = {word: i for i, word in enumerate(words)}
        if len(self.key_to_index) != len(words):
            raise ValueError("`words` must be distinct.")
        self.vectors = vectors
        norms = np.linalg.norm(vectors, axis=1)
        self.norms = norms
        # A zero vector has no direction; it stays zero rather than becoming NaN.
        self.unit_vectors = vectors / np.where(norms > 0, norms, 1.0)[:, None]

    @classmethod
    def from_model(cls, model, vocabulary):
        """The input vectors of a trained `SkipGram` or `SkipGramSoftmax`."""
        return cls(vocabulary.words, model.word_vectors)

    @property
    def vector_size(self):
        return self.vectors.shape[1]

    def __len__(self):
        return len(self.index_to_key)

    def __contains__(self, word):
        return word in self.key_to_index

    def __getitem__(self, word):
        return self.get_vector(word)

    def get_index(self, word):
        try:
            return self.key_to_index[word]
        except (KeyError, TypeError):
            raise KeyError(f"Word {word!r} is not in the vocabulary ({len(self)} words).") from None

    def get_vector(self, word, norm=False):
        i = self.get_index(word)
        return (self.unit_vectors if norm else self.vectors)[i]

    def similarity(self, word1, word2):
        """The cosine similarity of two words."""
        return float(self.unit_vectors[self.get_index(word1)] @ self.unit_vectors[self.get_index(word2)])

    def _query(self, positive, negative):
        positive = [positive] if isinstance(positive, str) else list(positive or [])
        negative = [negative] if isinstance(negative, str) else list(negative or [])
        if not positive and not negative:
            raise ValueError("`positive` and `negative` are both empty: give at least one word.")
        return positive, negative, [self.get_index(w) for w in positive], [self.get_index(w) for w in negative]

    def _top(self, scores, exclude, topn, restrict_vocab):
        check_integer("topn", topn, minimum=1)
        end = len(self) if restrict_vocab is None else min(restrict_vocab, len(self))
        scores = np.array(scores[:end], dtype=np.float64)
        scores[[i for i in exclude if i < end]] = -np.inf
        count = min(topn, end - len({i for i in exclude if i < end}))
        if count <= 0:
            return []
        best = np.argpartition(-scores, count - 1)[:count]
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(self.index_to_key[i], float(scores[i])) for i in best]

    def most_similar(self, positive=None, negative=None, topn=10, restrict_vocab=None):
        """The words nearest to the mean of the positive minus the negative unit vectors.

        As gensim's `most_similar`: the query is the normalised mean of the unit
        vectors of `positive` and the negated unit vectors of `negative`, and
        the query words are left out of the result.

        Args:
            positive: str or list of str.
            negative: str or list of str.
            topn: int. How many words to return.
            restrict_vocab: int or None. Only search the most frequent words.

        Returns:
            A list of `(word, cosine)`, best first.
        """
        positive, negative, pos_ids, neg_ids = self._query(positive, negative)
        mean = self.unit_vectors[pos_ids].sum(axis=0) - self.unit_vectors[neg_ids].sum(axis=0)
        mean = mean / max(np.linalg.norm(mean), 1e-12)
        return self._top(self.unit_vectors @ mean, pos_ids + neg_ids, topn, restrict_vocab)

    def most_similar_cosmul(self, positive=None, negative=None, topn=10, restrict_vocab=None):
        """3CosMul (Levy & Goldberg 2014, eq. 4) over cosines shifted to [0, 1].

        A word x scores Π_{p in positive} cos'(x, p) / (Π_{n in negative} cos'(x, n) + 1e-6),
        with cos' = (1 + cos) / 2, as gensim's `most_similar_cosmul` does.
        """
        positive, negative, pos_ids, neg_ids = self._query(positive, negative)
        if not positive:
            raise ValueError("`positive` must hold at least one word for 3CosMul.")
        shifted = (1.0 + self.unit_vectors @ self.unit_vectors[pos_ids + neg_ids].T) / 2.0
        scores = shifted[:, : len(pos_ids)].prod(axis=1) / (shifted[:, len(pos_ids):].prod(axis=1) + 1e-6)
        return self._top(scores, pos_ids + neg_ids, topn, restrict_vocab)

    def analogy(self, a, b, c, topn=1, method="3cosadd", restrict_vocab=None):
        """Solves "a is to b as c is to ?" (the answer is near b - a + c).

        Args:
            a, b, c: str.
            topn: int.
            method: str. `"3cosadd"` (Mikolov et al. 2013c: the vector offset,
                `most_similar(positive=[b, c], negative=[a])`) or `"3cosmul"`
                (Levy & Goldberg 2014, `most_similar_cosmul`).
            restrict_vocab: int or None. Only search the most frequent words.

        Returns:
            A list of `(word, score)`, best first.
        """
        check_choice("method", method, ANALOGY_METHODS)
        search = self.most_similar if method == "3cosadd" else self.most_similar_cosmul
        return search(positive=[b, c], negative=[a], topn=topn, restrict_vocab=restrict_vocab)

    def doesnt_match(self, words):
        """The word furthest from the mean of the words' unit vectors (the odd one out)."""
        words = [words] if isinstance(words, str) else list(words)
        if len(words) < 2:
            raise ValueError(f"`words` must hold at least 2 words. Received: words={words!r}")
        unit = self.unit_vectors[[self.get_index(w) for w in words]]
        mean = unit.mean(axis=0)
        mean = mean / max(np.linalg.norm(mean), 1e-12)
        return words[int(np.argmin(unit @ mean))]

    # -- Evaluations -------------------------------------------------------

    def _ok_vocab(self, restrict_vocab, case_insensitive):
        keys = self.index_to_key[:restrict_vocab]
        # With case folding, the most frequent of the words that fold together wins.
        return {(k.upper() if case_insensitive else k): i for i, k in reversed(list(enumerate(keys)))}

    def evaluate_word_analogies(self, path, restrict_vocab=300000, case_insensitive=True, method="3cosadd"):
        """Accuracy on a questions-words file (Mikolov et al. 2013c), as gensim computes it.

        Sections start with `": name"`; each other line is `a b c expected`.
        Questions with a word outside the `restrict_vocab` most frequent words
        are skipped. A question is right when the best answer other than a, b
        and c is `expected`.

        Args:
            path: str. The questions file.
            restrict_vocab: int. Only use the most frequent words.
            case_insensitive: bool. Compare words upper-cased, as gensim does.
            method: str. `"3cosadd"` (gensim's only method) or `"3cosmul"`.

        Returns:
            `(score, sections)`: the overall accuracy, and a list of dicts
            `{"section", "correct", "incorrect"}` ending with "Total accuracy",
            the shape gensim returns.
        """
        check_choice("method", method, ANALOGY_METHODS)
        ok_vocab = self._ok_vocab(restrict_vocab, case_insensitive)
        sections, section = [], None
        questions = []
        with open(path, encoding="utf-8") as f:
            for line_no, line in enumerate(f):
                if line.startswith(": "):
                    section = {"section": line[2:].strip(), "correct": [], "incorrect": []}
                    sections.append(section)
                    continue
                if section is None:
                    raise ValueError(f"Missing section header before line #{line_no} in {path}")
                words = line.split()
                if len(words) != 4:
                    continue
                if case_insensitive:
                    words = [w.upper() for w in words]
                if all(w in ok_vocab for w in words):
                    questions.append((section, tuple(words)))
        if questions:
            ids = np.array([[ok_vocab[w] for w in q] for _, q in questions])
            predicted = self._solve_analogies(ids, restrict_vocab, method)
            for (section, question), answer, expected in zip(questions, predicted, ids[:, 3]):
                section["correct" if answer == expected else "incorrect"].append(question)
        return self._score_sections(sections)

    def _solve_analogies(self, ids, restrict_vocab, method):
        """Best answer id for each row (a, b, c, expected) of `ids`, a, b and c excluded."""
        end = min(restrict_vocab, len(self))
        unit = self.unit_vectors[:end]
        answers = []
        for start in range(0, len(ids), 1024):
            chunk = ids[start : start + 1024]
            a, b, c = (self.unit_vectors[chunk[:, k]] for k in range(3))
            if method == "3cosadd":
                query = b - a + c
                query /= np.maximum(np.linalg.norm(query, axis=1, keepdims=True), 1e-12)
                scores = query @ unit.T
            else:
                shifted = [(1.0 + x @ unit.T) / 2.0 for x in (a, b, c)]
                scores = shifted[1] * shifted[2] / (shifted[0] + 1e-6)
            rows = np.arange(len(chunk))[:, None]
            scores[rows, chunk[:, :3]] = -np.inf
            answers.append(np.argmax(scores, axis=1))
        return np.concatenate(answers)

    @staticmethod
    def _score_sections(sections):
        sections = [s for s in sections if s["correct"] or s["incorrect"]] or sections
        total = {
            "section": "Total accuracy",
            "correct": list(itertools.chain.from_iterable(s["correct"] for s in sections)),
            "incorrect": list(itertools.chain.from_iterable(s["incorrect"] for s in sections)),
        }
        answered = len(total["correct"]) + len(total["incorrect"])
        score = len(total["correct"]) / answered if answered else 0.0
        return score, sections + [total]

    def evaluate_word_pairs(self, path, delimiter="\t", restrict_vocab=300000, case_insensitive=True):
        """Correlation with human similarity judgements (a WordSim-353-style TSV), as gensim computes it.

        Lines starting with `#` are comments; each other line is
        `word1<delimiter>word2<delimiter>score`. Pairs with a word outside the
        `restrict_vocab` most frequent words are skipped.

        Returns:
            `(pearson, spearman, oov_ratio)`: the two correlation coefficients
            between the model's cosines and the judgements, and the percentage
            of pairs skipped. (gensim also returns p-values; kerazoo returns
            the coefficients.)
        """
        ok_vocab = self._ok_vocab(restrict_vocab, case_insensitive)
        gold, model, oov = [], [], 0
        with open(path, encoding="utf-8") as f:
            for line in f:
                if not line or line.startswith("#"):
                    continue
                parts = [p.strip() for p in line.split(delimiter)]
                if len(parts) != 3:
                    continue
                a, b, score = parts
                if case_insensitive:
                    a, b = a.upper(), b.upper()
                try:
                    score = float(score)
                except ValueError:
                    continue
                if a not in ok_vocab or b not in ok_vocab:
                    oov += 1
                    continue
                gold.append(score)
                model.append(float(self.unit_vectors[ok_vocab[a]] @ self.unit_vectors[ok_vocab[b]]))
        if not gold:
            raise ValueError(f"No pair in {path} has both words in the vocabulary (or the format is wrong).")
        pearson = float(np.corrcoef(gold, model)[0, 1])
        spearman = spearman_correlation(gold, model)
        return pearson, spearman, 100.0 * oov / (len(gold) + oov)

    # -- word2vec files ----------------------------------------------------

    def save_word2vec_format(self, path, binary=False):
        """Writes the vectors in word2vec.c's text or binary format."""
        for word in self.index_to_key:
            if not word or any(ch.isspace() for ch in word):
                raise ValueError(f"Words written in the word2vec format cannot hold spaces. Received: {word!r}")
        with open(path, "wb") as f:
            f.write(f"{len(self)} {self.vector_size}\n".encode("utf-8"))
            vectors = self.vectors.astype("<f4")
            for word, row in zip(self.index_to_key, vectors):
                if binary:
                    f.write(word.encode("utf-8") + b" " + row.tobytes() + b"\n")
                else:
                    # 9 significant digits give back the same float32.
                    numbers = " ".join(format(float(x), ".9g") for x in row)
                    f.write(f"{word} {numbers}\n".encode("utf-8"))

    @classmethod
    def load_word2vec_format(cls, path, binary=False):
        """Reads a word2vec.c text or binary file."""
        with open(path, "rb") as f:
            header = f.readline().decode("utf-8").split()
            if len(header) != 2:
                raise ValueError(f"{path} does not start with a '<count> <dim>' header line.")
            count, dim = int(header[0]), int(header[1])
            words, vectors = [], np.empty((count, dim), dtype=np.float32)
            for i in range(count):
                if binary:
                    word = bytearray()
                    while True:
                        ch = f.read(1)
                        if ch == b" ":
                            break
                        if ch == b"":
                            raise ValueError(f"{path} ends after {i} of {count} words.")
                        if ch != b"\n":  # the newline after the previous vector
                            word.extend(ch)
                    vectors[i] = np.frombuffer(f.read(4 * dim), dtype="<f4")
                    words.append(word.decode("utf-8"))
                else:
                    parts = f.readline().decode("utf-8").rstrip().split(" ")
                    if len(parts) != dim + 1:
                        raise ValueError(f"Line {i + 2} of {path} has {len(parts) - 1} numbers, not {dim}.")
                    words.append(parts[0])
                    vectors[i] = np.asarray(parts[1:], dtype=np.float32)
        return cls(words, vectors)


def spearman_correlation(x, y):
    """Spearman's rank correlation, ties given their average rank (as scipy does)."""
    return float(np.corrcoef(_average_ranks(x), _average_ranks(y))[0, 1])


def _average_ranks(values):
    values = np.asarray(values, dtype=np.float64)
    order = np.argsort(values, kind="stable")
    sorted_values = values[order]
    # Runs of equal values share the mean of the ranks they span.
    starts = np.concatenate([[True], sorted_values[1:] != sorted_values[:-1]])
    group = np.cumsum(starts) - 1
    first = np.flatnonzero(starts)
    last = np.concatenate([first[1:], [len(values)]]) - 1
    ranks = np.empty(len(values))
    ranks[order] = (first[group] + last[group]) / 2.0 + 1.0
    return ranks


def read_word_vectors(path, words):
    """A `(len(words), dim)` matrix of word2vec vectors for `words`, zeros for the words it lacks.

    Args:
        path: str. A `kerazoo train word2vec` run folder (its `vectors.bin`), or a
            word2vec.c file: binary if it ends in `.bin`, text otherwise (gensim's
            `save_word2vec_format` writes both).
        words: list of str. A word missing as written is looked up in lowercase,
            since kerazoo's word2vec keeps lowercase tokens only.

    Returns:
        `(matrix, found)`: the float32 matrix and how many of `words` got a vector.
    """
    import os

    if os.path.isdir(path):
        path = os.path.join(path, "vectors.bin")
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"`word_vectors` must be a word2vec run folder or a word2vec file. Received: word_vectors={path!r}"
        )
    vectors = KeyedVectors.load_word2vec_format(path, binary=path.endswith(".bin"))
    matrix = np.zeros((len(words), vectors.vector_size), np.float32)
    found = 0
    for row, word in enumerate(words):
        for key in (word, word.lower()):
            if key in vectors:
                matrix[row] = vectors[key]
                found += 1
                break
    return matrix, found

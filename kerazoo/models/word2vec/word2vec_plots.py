"""A 2-D PCA picture of chosen word vectors (the lectures' figure), drawn with matplotlib."""

import numpy as np


def pca_2d(matrix):
    """Projects the rows of `matrix` on their two principal components.

    The rows are centred, and the right singular vectors of the centred matrix
    with the two largest singular values are the axes.

    Returns:
        `(points, explained)`: `[rows, 2]` coordinates and the fraction of the
        variance each axis explains.
    """
    matrix = np.asarray(matrix, dtype=np.float64)
    if matrix.ndim != 2 or len(matrix) < 2:
        raise ValueError(f"`matrix` must hold at least 2 rows. Received: shape={matrix.shape}")
    centred = matrix - matrix.mean(axis=0)
    _, singular, axes = np.linalg.svd(centred, full_matrices=False)
    variance = singular**2
    return centred @ axes[:2].T, variance[:2] / variance.sum()


def plot_word_pairs(vectors, pairs, path, title="word2vec vectors, first two principal components"):
    """Draws `pairs` of words (e.g. ("king", "queen")) in 2-D PCA, an arrow from first to second.

    Args:
        vectors: `KeyedVectors`.
        pairs: list of (str, str).
        path: str. Where to write the PNG.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    words = [word for pair in pairs for word in pair]
    points, explained = pca_2d(np.stack([vectors.get_vector(word, norm=True) for word in words]))
    figure, axes = plt.subplots(figsize=(7, 6))
    for i in range(0, len(words), 2):
        (x0, y0), (x1, y1) = points[i], points[i + 1]
        axes.annotate("", xy=(x1, y1), xytext=(x0, y0), arrowprops={"arrowstyle": "->", "color": "0.6"})
    axes.scatter(points[0::2, 0], points[0::2, 1], color="tab:blue", zorder=3)
    axes.scatter(points[1::2, 0], points[1::2, 1], color="tab:red", zorder=3)
    for word, (x, y) in zip(words, points):
        axes.annotate(word, (x, y), textcoords="offset points", xytext=(4, 4), fontsize=10)
    axes.set_xlabel(f"PC 1 ({explained[0]:.0%} of the variance)")
    axes.set_ylabel(f"PC 2 ({explained[1]:.0%} of the variance)")
    axes.set_title(title)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return points

import numpy as np
import pytest

from kerazoo.models.word2vec import KeyedVectors
from kerazoo.models.word2vec.word2vec_plots import pca_2d


def test_pca_finds_the_plane_the_points_lie_in():
    rng = np.random.default_rng(0)
    plane = rng.normal(size=(2, 10))
    coefficients = rng.normal(size=(30, 2)) * [5.0, 1.0]
    points, explained = pca_2d(coefficients @ plane + 3.0)
    assert explained.sum() == pytest.approx(1.0) and explained[0] > explained[1]
    # Distances are kept: the 2-D picture is the 10-D cloud seen face on.
    centred = coefficients @ plane - (coefficients @ plane).mean(axis=0)
    np.testing.assert_allclose(
        np.linalg.norm(points[:, None] - points[None], axis=-1),
        np.linalg.norm(centred[:, None] - centred[None], axis=-1),
        atol=1e-9,
    )
    with pytest.raises(ValueError, match="at least 2 rows"):
        pca_2d(np.ones((1, 3)))


@pytest.mark.smoke
def test_pca_recipe_writes_a_png_from_a_vectors_file(tmp_path):
    from recipes import word2vec_pca

    words = [w for pair in word2vec_pca.PAIRS for w in pair]
    vectors = KeyedVectors(words, np.random.default_rng(1).normal(size=(len(words), 6)))
    vectors.save_word2vec_format(str(tmp_path / "v.bin"), binary=True)
    out = tmp_path / "pca.png"
    word2vec_pca.main(["--vectors", str(tmp_path / "v.bin"), "--output", str(out)])
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

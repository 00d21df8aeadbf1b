import numpy as np
from keras import ops

from kerazoo.data.genre import GenreLines
from kerazoo.layers import ScalarMix
from kerazoo.models.classifiers import build_bag_of_words_classifier
from kerazoo.models.elmo import ElmoEmbedder
from kerazoo.models.elmo import build_elmo
from kerazoo.models.classifiers.genre_task import elmo_layer_means
from kerazoo.models.classifiers.genre_task import run_genre_comparison
from tests.test_case import randomize_weights


def tiny_embedder():
    bilm = build_elmo(20, character_filters=[(1, 4), (2, 4)], character_embedding_dim=4, projection_dim=4,
                      lstm_units=8, dropout=0.0)
    return ElmoEmbedder(randomize_weights(bilm, seed=1, scale=0.5))


def test_bag_of_words_logits_are_the_class_weights_times_word_frequencies():
    model = build_bag_of_words_classifier(6, 3)
    randomize_weights(model)
    W = ops.convert_to_numpy(model.get_layer("class_weights").embeddings)
    ids = np.array([[2, 2, 5, 0, 0], [1, 3, 4, 4, 4]], "int32")
    frequencies = np.stack([np.bincount(row[row > 0], minlength=6) / (row > 0).sum() for row in ids])
    np.testing.assert_allclose(ops.convert_to_numpy(model(ids)), frequencies @ W, atol=1e-6)


def test_layer_means_equal_the_embedder_outputs_averaged_over_tokens():
    embedder = tiny_embedder()
    sentences = [["O", "Romeo", ",", "Romeo"], ["Stay"], ["a", "b", "c", "d", "e", "f", "g", "h", "i"]]
    means = elmo_layer_means(embedder, sentences, batch_size=2)
    outputs = embedder.embed([" ".join(s) for s in sentences])
    for name in embedder.layer_names:
        expected = outputs[name].sum(axis=1) / outputs["sequence_len"][:, None]
        np.testing.assert_allclose(means[name], expected, atol=1e-5)
    # Mixing commutes with averaging, so a mix of the means is the mean of `elmo`.
    mix = ScalarMix()
    mix([means[name] for name in embedder.layer_names])
    np.testing.assert_allclose(
        ops.convert_to_numpy(mix([means[name] for name in embedder.layer_names])),
        outputs["default"], atol=1e-5,
    )


def test_the_comparison_learns_a_keyword_task_and_reports_all_three():
    rng = np.random.default_rng(0)
    keywords = ["Rome", "England", "Venice"]
    filler = ["the", "a", "my", "lord", "good", "sir", "now", "come"]
    tokens, labels = [], []
    for i in range(300):
        label = i % 3
        line = list(rng.choice(filler, 4)) + [keywords[label]]
        rng.shuffle(line)
        tokens.append(line)
        labels.append(label)
    lines = GenreLines(tokens, np.array(labels, np.int32), ["p"] * 300, genres=("a", "b", "c"))
    results = run_genre_comparison(tiny_embedder(), {"epochs": 40, "patience": 5, "learning_rate": 0.02,
                                                     "batch_size": 32}, lines=lines, log=lambda _: None)
    assert results["lines"] == {"fit": 216, "validation": 24, "test": 60}
    assert results["bag_of_words"]["test_accuracy"] > 0.9
    assert results["averaged_embeddings"]["test_accuracy"] > 0.9
    assert 0.0 <= results["elmo"]["test_accuracy"] <= 1.0
    assert abs(sum(results["elmo"]["scalar_mix"]["weights"]) - 1.0) < 1e-3
    assert results["averaged_embeddings_and_elmo"]["test_accuracy"] > 0.9

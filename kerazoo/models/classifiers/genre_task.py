"""The genre task as a transfer test: three classifiers on the same stratified split of the plays' lines.

1. **bag of words**: logistic regression on word frequencies.
2. **averaged word vectors**: learned with the task or, with `word_vectors`,
   frozen word2vec vectors (a `kerazoo train word2vec` run folder or a
   word2vec file), averaged, then a small MLP.
3. **ELMo**: the frozen biLM's layers averaged over each line, each
   standardized with the training lines' statistics, a trained `ScalarMix`,
   then the same small MLP.

With learned word vectors a fourth classifier puts 2 and 3 side by side
(the averaged vectors concatenated with the mix, as Peters et al. add ELMo
to a task model's own word vectors).

The test split (`test_fraction` of each genre) is never seen while training;
a further `validation_fraction` of the training lines picks each
classifier's epoch (early stopping on validation accuracy). Every classifier
is trained with Adam on the same lines in the same order.
"""

import time

import keras
import numpy as np

from kerazoo.data.genre import genre_lines
from kerazoo.models.word2vec.keyed_vectors import read_word_vectors
from kerazoo.data.genre import stratified_split
from kerazoo.models.elmo.elmo_vocabulary import PADDING_ID
from kerazoo.models.elmo.elmo_vocabulary import BilmVocabulary
from kerazoo.data.characters import encode_characters
from kerazoo.models.classifiers import adapt_standardization
from kerazoo.models.classifiers import build_averaged_embedding_classifier
from kerazoo.models.classifiers import build_bag_of_words_classifier
from kerazoo.models.classifiers import build_embedding_and_elmo_classifier
from kerazoo.models.classifiers import build_scalar_mix_classifier

GENRE_DEFAULTS = {
    "test_fraction": 0.2,  # of each genre's lines, held out for the reported accuracy
    "validation_fraction": 0.1,  # of the remaining lines, for early stopping
    "seed": 0,
    "epochs": 30,  # at most; early stopping usually ends sooner
    "patience": 3,  # epochs without a better validation accuracy
    "batch_size": 256,
    "learning_rate": 2e-3,
    "hidden_dim": 128,  # the MLP of the averaged-vector and ELMo classifiers
    "embedding_dim": 128,  # learned word vectors
    "max_tokens": 48,  # longer lines are cut (for the token-id classifiers)
    "word_vectors": None,  # a word2vec run folder or file: frozen vectors replace the learned ones
}


def token_id_matrix(sentences, vocabulary, max_tokens):
    """`(n, max_tokens)` int32 ids, padded with 0 and cut at `max_tokens`."""
    matrix = np.full((len(sentences), max_tokens), PADDING_ID, np.int32)
    for i, tokens in enumerate(sentences):
        ids = vocabulary.encode(tokens[:max_tokens])
        matrix[i, : len(ids)] = ids
    return matrix


def elmo_layer_means(embedder, sentences, batch_size=256):
    """Each biLM layer of `embedder` averaged over each sentence's tokens: dict name -> `(n, width)`.

    Sentences are run in order of length, so that a batch holds little padding.
    The result equals the mean of `embed(...)[name]` over each sentence's tokens.
    """
    names = embedder.layer_names
    token_characters = embedder.inputs[0]
    count = keras.ops.sum(
        keras.ops.cast(keras.ops.not_equal(token_characters[..., 0], 0), "float32"), axis=1, keepdims=True
    )
    pooled = keras.Model(
        token_characters,
        {name: keras.ops.sum(embedder.output[name], axis=1) / count for name in names},
    )
    max_characters = embedder.bilm.max_characters
    order = np.argsort([len(s) for s in sentences], kind="stable")
    results = {name: np.zeros((len(sentences), embedder.output[name].shape[-1]), np.float32) for name in names}
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        # Widths rounded up to a multiple of 8: a few traced shapes instead of one per length.
        width = -(-max(len(sentences[i]) for i in rows) // 8) * 8
        batch = np.zeros((len(rows), width, max_characters), np.int32)
        for j, i in enumerate(rows):
            batch[j, : len(sentences[i])] = encode_characters(sentences[i], max_characters)
        values = pooled.predict_on_batch(batch)
        for name in names:
            results[name][rows] = values[name]
    return results


def _fit(model, x, y, validation, config):
    model.compile(
        optimizer=keras.optimizers.Adam(config["learning_rate"]),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
    )
    stop = keras.callbacks.EarlyStopping(
        monitor="val_accuracy", mode="max", patience=config["patience"], restore_best_weights=True
    )
    start = time.monotonic()
    history = model.fit(
        x, y, validation_data=validation, epochs=config["epochs"], batch_size=config["batch_size"],
        callbacks=[stop], verbose=0, shuffle=True,
    )
    return {
        "epochs_run": len(history.history["loss"]),
        "best_val_accuracy": round(float(max(history.history["val_accuracy"])), 4),
        "train_s": round(time.monotonic() - start, 1),
        "parameters": model.count_params(),
    }


def _accuracy(model, x, y, batch_size):
    logits = model.predict(x, batch_size=batch_size, verbose=0)
    return round(float(np.mean(np.argmax(logits, axis=-1) == y)), 4)


def _mix_facts(model, layer_names):
    mix = model.get_layer("scalar_mix")
    return {
        "layers": layer_names,
        "weights": [round(float(w), 4) for w in mix.mixing_weights()],
        "gamma": round(float(keras.ops.convert_to_numpy(mix.gamma)), 4),
    }


def run_genre_comparison(embedder, config=None, lines=None, log=print):
    """Trains the three classifiers on one split and returns their test accuracies.

    Args:
        embedder: an `ElmoEmbedder` of the trained biLM (kept frozen), or None
            to run only the two baselines.
        config: dict of settings over `GENRE_DEFAULTS`.
        lines: a `GenreLines`, or None for every line of the complete plays.
        log: a function that prints progress.

    Returns:
        dict: the split's sizes, the majority-class accuracy, and for each
        classifier its test accuracy and training facts.
    """
    config = {**GENRE_DEFAULTS, **(config or {})}
    unknown = set(config) - set(GENRE_DEFAULTS)
    if unknown:
        raise ValueError(f"Unknown settings: {sorted(unknown)}. Known: {sorted(GENRE_DEFAULTS)}")
    keras.utils.set_random_seed(config["seed"])
    lines = genre_lines() if lines is None else lines
    train_index, test_index = stratified_split(lines.labels, config["test_fraction"], config["seed"])
    inner_fit, inner_validation = stratified_split(
        lines.labels[train_index], config["validation_fraction"], config["seed"] + 1
    )
    fit_index, validation_index = train_index[inner_fit], train_index[inner_validation]
    y = lines.labels
    num_classes = len(lines.genres)
    majority = int(np.bincount(y[fit_index], minlength=num_classes).argmax())
    results = {
        "lines": {"fit": len(fit_index), "validation": len(validation_index), "test": len(test_index)},
        "majority_class": lines.genres[majority],
        "majority_test_accuracy": round(float(np.mean(y[test_index] == majority)), 4),
        "config": config,
    }

    vocabulary = BilmVocabulary.from_tokens(t for i in fit_index for t in lines.tokens[i])
    ids = token_id_matrix(lines.tokens, vocabulary, config["max_tokens"])
    results["vocabulary_size"] = vocabulary.size
    results["test_unknown_rate"] = round(float(np.mean(
        [t == 1 for i in test_index for t in vocabulary.encode(lines.tokens[i])]
    )), 4)

    def run(name, model, x):
        def take(index):
            return {k: v[index] for k, v in x.items()} if isinstance(x, dict) else x[index]

        facts = _fit(model, take(fit_index), y[fit_index], (take(validation_index), y[validation_index]), config)
        facts["test_accuracy"] = _accuracy(model, take(test_index), y[test_index], config["batch_size"])
        log(f"{name}: test accuracy {facts['test_accuracy']:.4f} ({facts})")
        results[name] = facts
        return model

    run("bag_of_words", build_bag_of_words_classifier(vocabulary.size, num_classes), ids)
    embeddings, note = None, "learned with the task"
    if config["word_vectors"]:
        embeddings, found = read_word_vectors(config["word_vectors"], vocabulary.tokens)
        note = f"frozen vectors from {config['word_vectors']} ({found} of {vocabulary.size} words found)"
    averaged = build_averaged_embedding_classifier(
        vocabulary.size, num_classes, config["embedding_dim"], config["hidden_dim"], embeddings=embeddings
    )
    run("averaged_embeddings", averaged, ids)
    results["averaged_embeddings"]["vectors"] = note
    if embedder is not None:
        embedder.bilm.trainable = False
        start = time.monotonic()
        features = elmo_layer_means(embedder, lines.tokens, batch_size=config["batch_size"])
        results["elmo_features_s"] = round(time.monotonic() - start, 1)
        log(f"ELMo features for {len(lines)} lines in {results['elmo_features_s']} s")
        width = next(iter(features.values())).shape[1]
        head = build_scalar_mix_classifier(embedder.layer_names, width, num_classes, config["hidden_dim"])
        adapt_standardization(head, {name: values[fit_index] for name, values in features.items()})
        run("elmo", head, features)
        results["elmo"]["scalar_mix"] = _mix_facts(head, embedder.layer_names)
        if config["word_vectors"] is None:
            # The paper's use of ELMo: beside the task's own word vectors, not instead of them.
            both = build_embedding_and_elmo_classifier(
                vocabulary.size, num_classes, embedder.layer_names, width, config["embedding_dim"], config["hidden_dim"]
            )
            adapt_standardization(both, {name: values[fit_index] for name, values in features.items()})
            run("averaged_embeddings_and_elmo", both, {"token_ids": ids, **features})
            results["averaged_embeddings_and_elmo"]["scalar_mix"] = _mix_facts(both, embedder.layer_names)
    return results

"""SavedModel export in the layout TF Serving loads: `saved_models/NAME/<version>/`.

The SavedModel carries its vocabulary (a lookup table in the graph, and
`assets/vocabulary.json`) and three signatures:

- `serving_default`: `token_ids` int32 [batch, time] -> `logits` float32
  [batch, time, vocab].
- `generate`: `prompt` string [batch], `max_length` int32, `temperature`
  float32, `top_k` int32 (0 = off), `top_p` float32 (1 = off), `seed` int32
  -> `text` string [batch], each prompt followed by its continuation. It runs
  the same decoding loop as `kerazoo.generation`, compiled into the graph, so
  the same seed gives the same text as the Python API. A GPT decodes through
  its key/value cache; a prompt plus `max_length` must fit its context.
- `step` (char RNNs only): `token_ids` int32 [batch, time] and `state` float32
  [batch, S] -> `logits` and the next `state`. All recurrent states are packed
  side by side into one tensor of width S (recorded in `assets/kerazoo.json`);
  start from zeros and send back the state the last call returned.

A sequence-to-sequence model (`Transformer`, `Seq2SeqLSTM`) has instead:

- `translate`: `source` string [batch] -> `target` string [batch], decoded
  by the same beam search as `kerazoo.generation.translate` (the width is
  fixed at export; 1 is greedy).
- `serving_default`: `encoder_token_ids` and `decoder_token_ids` int32 ->
  `logits` float32 [batch, time, target vocab].

An ELMo biLM (`ElmoBiLM`, exported as its `ElmoEmbedder`) has `embed`
(`sentences` string [batch] -> TF-Hub's ELMo outputs) and `serving_default`
(`token_characters` int32 -> the same); see `kerazoo.export.elmo`.

Bad input (negative temperature, max_length out of range, empty prompts, ids
outside the vocabulary) fails the call with an `InvalidArgumentError` naming
the argument; the server keeps running.
"""

import json
import os
import shutil
import tempfile

import keras

from kerazoo.data.vocabulary import OOV_ID
from kerazoo.export.elmo import as_embedder
from kerazoo.export.elmo import build_embed_module
from kerazoo.generation.decoding import decoder_for
from kerazoo.generation.decoding import generate_ids
from kerazoo.generation.sampling import MAX_GENERATE_LENGTH


def _require_tensorflow_backend():
    if keras.backend.backend() != "tensorflow":
        raise RuntimeError(
            "Exporting a SavedModel needs the TensorFlow backend. Models trained on "
            "any backend load there: run `KERAS_BACKEND=tensorflow kerazoo export RUN_DIR`. "
            f"Current backend: {keras.backend.backend()!r}"
        )


def next_version(model_dir):
    """The next integer version under `model_dir` (1 for a new model)."""
    if not os.path.isdir(model_dir):
        return 1
    versions = [int(entry) for entry in os.listdir(model_dir) if entry.isdigit()]
    return max(versions, default=0) + 1


def _check_name(name):
    if not name or os.sep in name or name.startswith(".") or (os.altsep and os.altsep in name):
        raise ValueError(f"`name` must be a plain folder name. Received: name={name!r}")


def build_serving_module(model, vocabulary):
    """A `tf.Module` holding the model, its vocabulary and its signatures (`module.signature_functions`)."""
    import tensorflow as tf

    decoder = decoder_for(model)
    recurrent = hasattr(decoder, "streaming")
    vocabulary_size = vocabulary.size

    module = tf.Module()
    module.model = model
    if recurrent:
        streaming = decoder.streaming
        state_sizes = list(streaming.state_sizes)
        state_width = sum(state_sizes)
        module.streaming = streaming
    module.table = tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(
            tf.constant(vocabulary.characters, dtype=tf.string),
            tf.range(1, vocabulary_size, dtype=tf.int32),
        ),
        default_value=0,
    )
    # The out-of-vocabulary id decodes to nothing, as in CharVocabulary.decode.
    token_strings = tf.constant([""] + vocabulary.characters, dtype=tf.string)

    def check_ids(token_ids):
        return [
            tf.debugging.assert_non_negative(
                token_ids, message="`token_ids` must be >= 0"
            ),
            tf.debugging.assert_less(
                token_ids, vocabulary_size, message=f"`token_ids` must be < the vocabulary size {vocabulary_size}"
            ),
        ]

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32, name="token_ids")])
    def serving_default(token_ids):
        with tf.control_dependencies(check_ids(token_ids)):
            token_ids = tf.identity(token_ids)
        return {"logits": model(token_ids, training=False)}

    @tf.function(
        input_signature=[
            tf.TensorSpec([None], tf.string, name="prompt"),
            tf.TensorSpec([], tf.int32, name="max_length"),
            tf.TensorSpec([], tf.float32, name="temperature"),
            tf.TensorSpec([], tf.int32, name="top_k"),
            tf.TensorSpec([], tf.float32, name="top_p"),
            tf.TensorSpec([], tf.int32, name="seed"),
        ]
    )
    def generate(prompt, max_length, temperature, top_k, top_p, seed):
        characters = tf.strings.unicode_split(prompt, "UTF-8")
        lengths = tf.cast(characters.row_lengths(), tf.int32)
        checks = [
            tf.debugging.assert_greater_equal(
                temperature, 0.0, message="`temperature` must be >= 0 (0 means greedy)"
            ),
            tf.debugging.assert_greater_equal(top_k, 0, message="`top_k` must be >= 0 (0 turns it off)"),
            tf.debugging.assert_greater(top_p, 0.0, message="`top_p` must be in (0, 1] (1 turns it off)"),
            tf.debugging.assert_less_equal(top_p, 1.0, message="`top_p` must be in (0, 1] (1 turns it off)"),
            tf.debugging.assert_greater_equal(max_length, 1, message="`max_length` must be >= 1"),
            tf.debugging.assert_less_equal(
                max_length, MAX_GENERATE_LENGTH, message=f"`max_length` must be <= {MAX_GENERATE_LENGTH}"
            ),
            tf.debugging.assert_positive(
                tf.size(prompt), message="`prompt` must hold at least one prompt"
            ),
            tf.debugging.assert_positive(
                lengths, message="every `prompt` must hold at least one character"
            ),
        ]
        with tf.control_dependencies(checks):
            ids = module.table.lookup(characters).to_tensor(default_value=0)
            batch = tf.shape(ids)[0]
            state = decoder.initial_decoding_state(batch)
            tokens = generate_ids(
                decoder.decoding_step, state, ids, lengths, max_length, temperature, top_k, seed,
                banned_id=OOV_ID, top_p=top_p,
            )
        positions = tf.expand_dims(lengths, 1) + tf.range(max_length)[tf.newaxis, :]
        continuation = tf.gather(tokens, positions, batch_dims=1)
        text = tf.strings.reduce_join(tf.gather(token_strings, continuation), axis=1)
        return {"text": tf.strings.join([prompt, text])}

    module.signature_functions = {"serving_default": serving_default, "generate": generate}
    if recurrent:
        @tf.function(
            input_signature=[
                tf.TensorSpec([None, None], tf.int32, name="token_ids"),
                tf.TensorSpec([None, state_width], tf.float32, name="state"),
            ]
        )
        def step(token_ids, state):
            with tf.control_dependencies(check_ids(token_ids)):
                token_ids = tf.identity(token_ids)
            outputs = streaming([token_ids, *tf.split(state, state_sizes, axis=1)], training=False)
            return {"logits": outputs[0], "state": tf.concat(outputs[1:], axis=1)}

        module.signature_functions["step"] = step
        module.state_sizes = state_sizes
    return module


def build_translate_module(model, vocabulary, beam_width=1):
    """A `tf.Module` with the `translate` and `serving_default` signatures of a seq2seq model."""
    import tensorflow as tf

    from kerazoo.generation.beam_search import beam_search

    module = tf.Module()
    module.model = model
    module.table = tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(
            tf.constant(vocabulary.source.characters, dtype=tf.string),
            tf.range(1, vocabulary.source.size, dtype=tf.int32),
        ),
        default_value=0,
    )
    target_strings = tf.constant([""] + vocabulary.target.characters, dtype=tf.string)
    max_length = model.max_decoding_length - 1
    start_id, end_id = vocabulary.start_id, vocabulary.end_id

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="source")])
    def translate(source):
        characters = tf.strings.unicode_split(source, "UTF-8")
        checks = [
            tf.debugging.assert_positive(tf.size(source), message="`source` must hold at least one string"),
            tf.debugging.assert_positive(
                characters.row_lengths(), message="every `source` must hold at least one character"
            ),
        ]
        with tf.control_dependencies(checks):
            ids = module.table.lookup(characters).to_tensor(default_value=0)
        state = model.initial_decoding_state(ids)
        tokens, _ = beam_search(
            model.decoding_step, state, start_id, end_id, max_length, beam_width, 0.0, (OOV_ID, start_id)
        )
        tokens = tokens[:, 1:]
        # Everything from the first end token on decodes to nothing.
        ended = tf.cumsum(tf.cast(tokens == end_id, tf.int32), axis=1) > 0
        tokens = tf.where(ended, tf.zeros_like(tokens), tokens)
        return {"target": tf.strings.reduce_join(tf.gather(target_strings, tokens), axis=1)}

    @tf.function(
        input_signature=[
            tf.TensorSpec([None, None], tf.int32, name="encoder_token_ids"),
            tf.TensorSpec([None, None], tf.int32, name="decoder_token_ids"),
        ]
    )
    def serving_default(encoder_token_ids, decoder_token_ids):
        checks = [
            tf.debugging.assert_non_negative(encoder_token_ids, message="`encoder_token_ids` must be >= 0"),
            tf.debugging.assert_less(encoder_token_ids, vocabulary.source.size,
                                     message="`encoder_token_ids` must be < the source vocabulary size"),
            tf.debugging.assert_non_negative(decoder_token_ids, message="`decoder_token_ids` must be >= 0"),
            tf.debugging.assert_less(decoder_token_ids, vocabulary.target.size,
                                     message="`decoder_token_ids` must be < the target vocabulary size"),
        ]
        with tf.control_dependencies(checks):
            inputs = {"encoder_token_ids": tf.identity(encoder_token_ids), "decoder_token_ids": tf.identity(decoder_token_ids)}
        return {"logits": model(inputs, training=False)}

    module.signature_functions = {"serving_default": serving_default, "translate": translate}
    module.beam_width = beam_width
    return module


def export_saved_model(model, vocabulary, name, base_dir="saved_models", metadata=None, beam_width=1):
    """Writes `model` as `base_dir/name/<next version>/` and returns that path.

    The SavedModel is written to a temporary folder beside its destination
    and renamed into place, so a failed export never leaves a half-written
    version that a server could pick up.

    Args:
        model: a `CharRNN` or a `GPT` (signatures `generate`, ...), a
            `Transformer` or `Seq2SeqLSTM` (signature `translate`), or an
            `ElmoBiLM` or `ElmoEmbedder` (signature `embed`).
        vocabulary: its `CharVocabulary`, `PairVocabulary` for seq2seq, or
            `BilmVocabulary` for ELMo.
        name: str. The model name, a folder under `base_dir`.
        base_dir: str. Where SavedModels live.
        metadata: dict or None. Extra facts for `assets/kerazoo.json`.
        beam_width: int. The beam of a seq2seq model's `translate`; 1 is greedy.
    """
    _require_tensorflow_backend()
    _check_name(name)
    import tensorflow as tf

    model_dir = os.path.join(base_dir, name)
    seq2seq = hasattr(model, "encode")
    embedder = as_embedder(model)
    if embedder is not None:
        model = embedder
        module = build_embed_module(embedder)
    elif seq2seq:
        module = build_translate_module(model, vocabulary, beam_width)
    else:
        module = build_serving_module(model, vocabulary)

    def write(target, assets):
        vocabulary.save(os.path.join(assets, "vocabulary.json"))
        info = {
            "model_class": type(model).__name__,
            "model_config": model.get_config(),
            "signatures": list(module.signature_functions),
            **(
                {"state_sizes": module.state_sizes, "state_width": sum(module.state_sizes)}
                if hasattr(module, "state_sizes")
                else getattr(module, "info", None) or {"context_length": model.max_sequence_length}
            ),
            **(
                {"beam_width": beam_width, "source_vocabulary_size": vocabulary.source.size,
                 "target_vocabulary_size": vocabulary.target.size}
                if seq2seq
                else {"vocabulary_size": vocabulary.size}
            ),
            **(metadata or {}),
        }
        with open(os.path.join(assets, "kerazoo.json"), "w", encoding="utf-8") as f:
            json.dump(info, f, indent=2)
        module.vocabulary_file = tf.saved_model.Asset(os.path.join(assets, "vocabulary.json"))
        module.info_file = tf.saved_model.Asset(os.path.join(assets, "kerazoo.json"))
        tf.saved_model.save(module, target, signatures=module.signature_functions)

    return write_new_version(model_dir, write)


def export_run(run_dir, name, base_dir="saved_models", which="best", beam_width=1):
    """Exports the model of a run folder (language model, seq2seq, word2vec or ELMo biLM); see `export_saved_model`."""
    _require_tensorflow_backend()
    from kerazoo.training.bilm_trainer import is_bilm_run
    from kerazoo.training.bilm_trainer import load_bilm_run
    from kerazoo.training.seq2seq_trainer import is_seq2seq_run
    from kerazoo.training.seq2seq_trainer import load_seq2seq_run
    from kerazoo.training.trainer import load_run
    from kerazoo.training.word2vec_trainer import is_word2vec_run

    if is_word2vec_run(run_dir):
        from kerazoo.export.word2vec import export_word2vec_run

        return export_word2vec_run(run_dir, name, base_dir)

    load = load_seq2seq_run if is_seq2seq_run(run_dir) else load_bilm_run if is_bilm_run(run_dir) else load_run
    model, vocabulary = load(run_dir, which=which)
    return export_saved_model(
        model, vocabulary, name, base_dir, metadata={"run_dir": os.path.abspath(run_dir), "checkpoint": which},
        beam_width=beam_width,
    )


def write_new_version(model_dir, write):
    """Runs `write(target, assets_dir)` and renames `target` into `model_dir/<next version>/`.

    Every export goes through here (`export_saved_model`, word vectors): the
    SavedModel is written to a temporary folder beside its destination and
    renamed into place, so a failed export never leaves a half-written
    version that a server could pick up. Returns the version folder.
    """
    os.makedirs(model_dir, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".export-", dir=model_dir)
    try:
        assets = os.path.join(staging, "_assets_source")
        os.makedirs(assets)
        target = os.path.join(staging, "model")
        write(target, assets)
        while True:
            destination = os.path.join(model_dir, str(next_version(model_dir)))
            try:
                os.rename(target, destination)
                break
            except OSError:
                if not os.path.exists(destination):
                    raise
                # Another export took this version number first; take the next.
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return destination

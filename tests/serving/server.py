"""A real `kerazoo serve` for the tests: tiny models of every family exported to a temporary base path,
served by uvicorn on a free port of 127.0.0.1 in a background thread."""

import os
import re
import shutil
import socket
import tempfile
import threading
import time

import numpy as np

from tests.test_case import randomize_weights
from tests.test_case import tiny_vocabulary

BODY_LIMIT = 1 << 20
BODY_TIMEOUT = 1.0  # the hostile cases' server: a lying Content-Length is refused within seconds
CALM_BODY_TIMEOUT = 60.0  # every other test's server: a loaded CI machine never turns a normal request into a 408
_EXPORTED = {}  # a tiny model's name -> the folder this process exported it to


def export_tiny_models(base, names=("lstm", "gpt", "dates", "words", "elmo")):
    """Exports a char LSTM, a GPT, a date Transformer, word vectors and an ELMo under `base` (those in `names`), and
    a captioner as `shapes` when `names` holds it; returns the models."""
    from kerazoo import build_gpt
    from kerazoo import build_lstm
    from kerazoo import build_transformer
    from kerazoo.models.elmo.elmo_vocabulary import BilmVocabulary
    from kerazoo.data.seq2seq import PairVocabulary
    from kerazoo.export import export_saved_model
    from kerazoo.export import export_word_vectors
    from kerazoo.models.elmo import build_elmo
    from kerazoo.models.word2vec import KeyedVectors

    vocabulary = tiny_vocabulary()
    lstm = randomize_weights(build_lstm(vocabulary.size, units=8, num_layers=1), seed=1, scale=0.3)
    gpt = randomize_weights(build_gpt(vocabulary.size, num_layers=1, num_heads=2, hidden_dim=8, max_sequence_length=16),
                            seed=2, scale=0.3)
    pairs = PairVocabulary.from_pairs([("3 March 1998", "1998-03-03"), ("12/31/1999", "1999-12-31")])
    transformer = randomize_weights(build_transformer(pairs.source.size, pairs.target.size, num_layers=1, num_heads=2,
                                                      hidden_dim=8, intermediate_dim=8, max_sequence_length=12),
                                    seed=3, scale=0.5)
    vectors = KeyedVectors([f"w{i}" for i in range(10)], np.random.default_rng(0).normal(size=(10, 4)))
    words = BilmVocabulary.from_tokens("I watch the play my stopped music".split())
    elmo = randomize_weights(build_elmo(words.size, character_filters=[(1, 4), (2, 4)], character_embedding_dim=4,
                                        projection_dim=4, lstm_units=8, dropout=0.0), seed=5, scale=0.6)
    exports = {
        "lstm": lambda where: export_saved_model(lstm, vocabulary, "lstm", where),
        # Long enough generations for the deadline tests.
        "gpt": lambda where: export_saved_model(gpt, vocabulary, "gpt", where, limits={
            "max_batch": 8, "max_prompt_length": 100, "max_batch_steps": 100_000}),
        "dates": lambda where: export_saved_model(transformer, pairs, "dates", where),
        "words": lambda where: export_word_vectors(vectors, "words", where),
        "elmo": lambda where: export_saved_model(elmo, words, "elmo", where),
    }
    built = {"lstm": lstm, "gpt": gpt, "vocabulary": vocabulary, "transformer": transformer, "vectors": vectors,
             "elmo": elmo}
    for name in names:
        if name == "shapes":
            built["captioner"] = export_tiny_captioner(base)
            continue
        # The weights are seeded, so one export per test process serves every module that asks; later calls copy it.
        if name not in _EXPORTED:
            _EXPORTED[name] = tempfile.mkdtemp(prefix=f"kerazoo-tiny-{name}-")
            exports[name](_EXPORTED[name])
        shutil.copytree(os.path.join(_EXPORTED[name], name), os.path.join(base, name))
    return built


def export_tiny_captioner(base, name="shapes", seed=11, beam_width=2):
    """A captioner of 16x16 images (a 4x4 attention grid) with random weights, exported as `name` with its `caption`
    and `caption_beam` (of `beam_width`) signatures; returns the model."""
    from kerazoo import build_captioner
    from kerazoo.export import export_saved_model
    from kerazoo.models.captioner.captioner_vocabulary import CaptionVocabulary

    vocabulary = CaptionVocabulary.from_grammar()
    model = build_captioner(vocabulary.size, embedding_dim=6, units=12, filters=[4, 6, 8], feature_dim=8,
                            image_size=16, max_sequence_length=10)
    model({"images": np.zeros((1, 16, 16, 3), "float32"), "decoder_token_ids": np.ones((1, 2), "int32")})
    randomize_weights(model, seed=seed, scale=0.7)
    export_saved_model(model, vocabulary, name, base_dir=base, beam_width=beam_width)
    return model


CHAT_SEED = 30  # random weights whose greedy replies differ with the conversation, and whose sampled ones end both ways


def export_chat_models(base):
    """`chat`: a tiny chat Transformer of the chat family (random weights, seed `CHAT_SEED`, replies of at most 10
    ids) exported by the family's own exporter. `unstreamed`: its `chat` signature alone. `odd`: a `chat` signature
    of another shape. Returns the chat model and its vocabulary."""
    import tensorflow as tf

    from kerazoo.export import export_saved_model
    from tests.models.chat.test_chat_model import tiny

    model, vocabulary = tiny("chat_transformer", seed=CHAT_SEED)
    path = export_saved_model(model, vocabulary, "chat", base_dir=base)
    # `unstreamed`: the same `chat`, without `chat_step`.
    loaded = tf.saved_model.load(path)
    tf.saved_model.save(loaded, os.path.join(base, "unstreamed", "1"), signatures={"chat": loaded.signatures["chat"]})

    class Odd(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="history")])
        def chat(self, history):
            return {"reply": history}

    odd = Odd()
    tf.saved_model.save(odd, os.path.join(base, "odd", "1"), signatures={"chat": odd.chat})
    return model, vocabulary


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerThread:
    """`kerazoo serve` in a thread of this process, with a small body limit."""

    def __init__(self, base, poll_seconds=0.2, body_timeout=CALM_BODY_TIMEOUT, **connection_settings):
        """`body_timeout` is the app's; the hostile cases pass `BODY_TIMEOUT` (1 s). The others keep 60 s: the body
        timeout is charged from the handler's first read, so on a loaded machine 48 concurrent requests, each waiting
        for the event loop, took longer than 1 s and got 408 (a CI failure). `connection_settings` override
        `kerazoo serve`'s uvicorn settings (`header_timeout`, and `CONNECTION_SETTINGS`), as
        `kerazoo.serving.connections.uvicorn_settings` takes them."""
        import uvicorn

        from kerazoo.serving import create_app
        from kerazoo.serving.connections import uvicorn_settings

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.app = create_app(base, poll_seconds=poll_seconds, max_body_bytes=BODY_LIMIT, body_timeout=body_timeout)
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning",
                                **uvicorn_settings(**connection_settings))
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.time() + 300
        while not self.server.started:
            if not self.thread.is_alive() or time.time() > deadline:
                raise RuntimeError("kerazoo serve did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(timeout=30)


def metric(client, name, **labels):
    """The value of one Prometheus sample, 0 when absent."""
    for line in client.get("/monitoring/prometheus/metrics").text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0])) if "{" in line else {}
            if all(found.get(k) == v for k, v in labels.items()):
                return float(line.rsplit(" ", 1)[1])
    return 0.0


def wait_until(predicate, timeout=60.0):
    """Polls `predicate` every 25 ms until it holds or `timeout` seconds pass; whether it came true.

    Only for what does happen: the bound is generous so that a loaded 2-core machine passes too.
    """
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            return False
        time.sleep(0.025)
    return True

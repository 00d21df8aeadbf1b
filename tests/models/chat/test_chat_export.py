"""The chat SavedModel: `chat` and `chat_step` served by a process that never imports kerazoo, equal to the Python API,
bounded before they allocate; and the graph splits text into units as Python does."""


import numpy as np
import pytest

from kerazoo.export import export_saved_model
from kerazoo.models.chat.chat_generation import reply
from kerazoo.models.chat.chat_generation import stream_reply
from kerazoo.models.chat.chat_vocabulary import ChatVocabulary
from kerazoo.models.chat.chat_vocabulary import units
from tests.models.chat.test_chat_model import TURNS
from tests.models.chat.test_chat_model import tiny
from tests.test_case import served_without_kerazoo

OPTIONS = [{"temperature": 0.0, "top_k": 0, "top_p": 1.0, "seed": 0},
           {"temperature": 1.0, "top_k": 0, "top_p": 1.0, "seed": 5},
           {"temperature": 0.7, "top_k": 6, "top_p": 0.9, "seed": 2}]
CONVERSATIONS = [TURNS, ["Who's there? Zounds, É!"], ["", "Ay.", "No, my lord.", "What news?"]]

SERVE = r"""
import json, sys
import tensorflow as tf
loaded = tf.saved_model.load(PATH)
chat, chat_step = loaded.signatures["chat"], loaded.signatures["chat_step"]
out = {"signatures": sorted(loaded.signatures.keys()), "chat": [], "streamed": [], "errors": {}}

def arguments(options, max_length=8):
    return {"max_length": tf.constant(max_length, tf.int32),
            "temperature": tf.constant(options["temperature"], tf.float32),
            "top_k": tf.constant(options["top_k"], tf.int32), "top_p": tf.constant(options["top_p"], tf.float32),
            "seed": tf.constant(options["seed"], tf.int32)}

def plain(result):
    return {k: (v.numpy().decode("utf-8") if v.dtype == tf.string else int(v.numpy())) for k, v in result.items()}

for turns in CONVERSATIONS:
    for options in OPTIONS:
        out["chat"].append(plain(chat(turns=tf.constant(turns), **arguments(options))))
        pieces, calls = [], []
        while True:
            step = plain(chat_step(turns=tf.constant(turns), reply=tf.constant("".join(pieces)), **arguments(options)))
            calls.append(step)
            if step["token"]:
                pieces.append(step["token"])
            if step["finish_reason"]:
                break
        out["streamed"].append({"pieces": pieces, "last": calls[-1]})

bad = {
    "no_turns": ([], {}),
    "long_turn": (["x" * 100000], {}),
    "huge_max_length": (["Hi."], {"max_length": 10**9}),
    "zero_max_length": (["Hi."], {"max_length": 0}),
    "too_many_turns": (["Hi."] * 65, {}),
    "negative_temperature": (["Hi."], {"temperature": -1.0}),
    "top_p_zero": (["Hi."], {"top_p": 0.0}),
}
for name, (turns, changes) in bad.items():
    options = {"temperature": 0.0, "top_k": 0, "top_p": 1.0, "seed": 0}
    options.update({k: v for k, v in changes.items() if k != "max_length"})
    try:
        chat(turns=tf.constant(turns, dtype=tf.string), **arguments(options, changes.get("max_length", 8)))
        out["errors"][name] = None
    except tf.errors.InvalidArgumentError as error:
        out["errors"][name] = error.message
for name, turns, text in [("not_utf8", [b"ab\xff"], ""), ("reply_not_utf8", ["Hi."], b"\xff"),
                          ("finished_reply", ["Hi."], "ay ay ay ay ay ay ay ay")]:
    try:
        chat_step(turns=tf.constant(turns), reply=tf.constant(text), **arguments(OPTIONS[0]))
        out["errors"][name] = None
    except tf.errors.InvalidArgumentError as error:
        out["errors"][name] = error.message
out["kerazoo_imported"] = any(name.startswith("kerazoo") for name in sys.modules)
print("RESULT" + json.dumps(out))
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    model, vocabulary = tiny("chat_transformer", seed=5)  # a seed whose replies both stop and run to max_length
    path = export_saved_model(model, vocabulary, "chat", base_dir=str(tmp_path_factory.mktemp("sm")))
    code = (SERVE.replace("PATH", repr(path)).replace("CONVERSATIONS", repr(CONVERSATIONS))
            .replace("OPTIONS", repr(OPTIONS)))
    return model, vocabulary, path, served_without_kerazoo(code)


def test_chat_is_served_without_kerazoo_and_equals_the_python_api(served):
    model, vocabulary, _, out = served
    assert out["kerazoo_imported"] is False
    assert out["signatures"] == ["chat", "chat_step", "serving_default"]
    results = iter(out["chat"])
    for turns in CONVERSATIONS:
        for options in OPTIONS:
            expected = reply(model, vocabulary, turns, max_length=8, **options)
            assert next(results) == {"reply": expected.text, "prompt_tokens": expected.prompt_tokens,
                                     "completion_tokens": expected.completion_tokens,
                                     "finish_reason": expected.finish_reason}, (turns, options)
    assert {r["finish_reason"] for r in out["chat"]} == {"stop", "length"}  # both endings are checked


def test_chat_step_streams_the_reply_that_chat_returns(served):
    model, vocabulary, _, out = served
    streams = iter(out["streamed"])
    for turns in CONVERSATIONS:
        for options in OPTIONS:
            streamed = next(streams)
            expected = reply(model, vocabulary, turns, max_length=8, **options)
            assert "".join(streamed["pieces"]) == expected.text
            assert streamed["pieces"] == list(stream_reply(model, vocabulary, turns, max_length=8, **options))
            assert streamed["last"]["finish_reason"] == expected.finish_reason
            assert streamed["last"]["completion_tokens"] == expected.completion_tokens
            assert streamed["last"]["prompt_tokens"] == expected.prompt_tokens


def test_bad_requests_are_refused_before_any_work_with_clear_errors(served):
    errors = served[3]["errors"]
    assert "`turns` must hold at least one turn" in errors["no_turns"]
    assert "every `turns` must hold at most 2000 characters" in errors["long_turn"]
    assert "`max_length` must be <= 10 (the longest reply this model makes)" in errors["huge_max_length"]
    assert "`max_length` must be >= 1" in errors["zero_max_length"]
    assert "`turns` must hold at most 64 rows" in errors["too_many_turns"]
    assert "`temperature` must be >= 0" in errors["negative_temperature"]
    assert "`top_p` must be in (0, 1]" in errors["top_p_zero"]
    assert "every turn must be UTF-8 text" in errors["not_utf8"]
    assert "every reply must be UTF-8 text" in errors["reply_not_utf8"]
    assert "`reply` must hold fewer ids than `max_length`" in errors["finished_reply"]


def test_the_graph_splits_every_speech_into_the_units_python_makes():
    import tensorflow as tf

    from kerazoo.data import shakespeare
    from kerazoo.models.causal_lm.causal_lm_export import prompt_units

    texts = [" ".join(s.lines) for play in shakespeare.load_plays() for s in play.speeches]
    texts += ["'Tis O'er--new-bent,\tLORDS' É\u2003x", "a\x1cb\x85c\u00a0d\u2028e", "İstanbul Ωmega 42nd", "", "  "]
    vocabulary = ChatVocabulary(["a"])
    graph = prompt_units(tf, vocabulary, tf.strings.lower(tf.constant(texts)))
    split = [[unit.decode("utf-8") for unit in row] for row in graph.to_list()]
    mismatched = [i for i, text in enumerate(texts) if split[i] != units(text)]
    assert not mismatched, [(texts[i], split[i], units(texts[i])) for i in mismatched[:3]]
    assert len(texts) > 31000

"""`kerazoo serve`'s OpenAI-compatible routes against a real server, with the official `openai` client and httpx:
completions equal to what TF Serving's `:predict` route generates, exact usage counts, stop strings, streams,
replies of a tiny chat-family model equal to the Python API's (`kerazoo.models.chat.chat_generation`), and every
refusal in OpenAI's error shape with the server still serving after it."""

import json
import os
import socket
import time

import httpx
import openai
import pytest

from kerazoo.models.chat.chat_generation import reply
from kerazoo.models.chat.chat_generation import stream_reply
from tests.serving.server import BODY_LIMIT
from tests.serving.server import ServerThread
from tests.serving.server import export_chat_models
from tests.serving.server import export_tiny_models
from tests.serving.server import metric
from tests.serving.server import wait_until

PROMPT = "ROMEO:"


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """The base path, and the tiny chat model with its vocabulary (served as `chat`)."""
    base = str(tmp_path_factory.mktemp("saved_models"))
    export_tiny_models(base, names=("lstm", "gpt", "words"))
    return base, export_chat_models(base)


@pytest.fixture(scope="module")
def served(exported):
    base, _ = exported
    with ServerThread(base) as server, httpx.Client(base_url=server.url, timeout=60) as client:
        yield server, client, base


@pytest.fixture(scope="module")
def openai_client(served):
    server, _, _ = served
    return openai.OpenAI(base_url=server.url + "/v1", api_key="unused", max_retries=0, timeout=60)


def generated(client, name, prompt, max_length, temperature=0.0, top_p=1.0, seed=0):
    """The continuation TF Serving's `:predict` route gives through the `generate` signature."""
    inputs = {"prompt": [prompt], "max_length": max_length, "temperature": temperature, "top_k": 0, "top_p": top_p,
              "seed": seed}
    response = client.post(f"/v1/models/{name}:predict", json={"signature_name": "generate", "inputs": inputs})
    assert response.status_code == 200, response.text
    (text,) = response.json()["outputs"]
    assert text.startswith(prompt)
    return text[len(prompt):]


def events(response_text):
    """The `data:` payloads of a Server-Sent Events body, `[DONE]` as the string."""
    blocks = [block for block in response_text.split("\n\n") if block]
    assert all(block.startswith("data: ") and "\n" not in block for block in blocks), blocks
    return [block[6:] if block == "data: [DONE]" else json.loads(block[6:]) for block in blocks]


# --- The model list ---


def test_the_model_list_is_openais_and_keeps_kerazoos(served, openai_client):
    _, client, base = served
    data = client.get("/v1/models").json()
    names = ["chat", "gpt", "lstm", "odd", "unstreamed", "words"]
    assert data["object"] == "list"
    assert data["data"] == [{"id": name, "object": "model", "owned_by": "kerazoo",
                             "created": int(os.stat(os.path.join(base, name, "1")).st_mtime)} for name in names]
    assert [model["name"] for model in data["models"]] == names  # kerazoo's own listing, as the playground reads it
    assert [model.id for model in openai_client.models.list()] == names


# --- Completions ---


@pytest.mark.parametrize("name", ["gpt", "lstm"])
def test_a_greedy_completion_is_what_predict_generates(served, openai_client, name):
    _, client, _ = served
    completion = openai_client.completions.create(model=name, prompt=PROMPT, max_tokens=12, temperature=0)
    assert completion.object == "text_completion" and completion.model == name and completion.id.startswith("cmpl-")
    (choice,) = completion.choices
    assert (choice.index, choice.text, choice.finish_reason) == (0, generated(client, name, PROMPT, 12), "length")
    # Characters are the char models' tokens: 6 read, 12 made.
    usage = completion.usage
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (6, 12, 18)


def test_choice_i_of_each_prompt_is_generate_with_seed_plus_i(served):
    _, client, _ = served
    before = metric(client, "kerazoo_serving_requests_total", model="gpt", signature="step", kind="completions",
                    code="200")
    body = {"model": "gpt", "prompt": [PROMPT, "O"], "n": 2, "max_tokens": 10, "temperature": 0.9, "top_p": 0.9,
            "seed": 7, "user": "someone"}
    response = client.post("/v1/completions", json=body)
    assert response.status_code == 200, response.text
    data = response.json()
    expected = [generated(client, "gpt", prompt, 10, 0.9, 0.9, 7 + i) for prompt in (PROMPT, "O") for i in range(2)]
    assert [(c["index"], c["text"], c["finish_reason"], c["logprobs"]) for c in data["choices"]] == \
        [(i, text, "length", None) for i, text in enumerate(expected)]
    assert data["usage"] == {"prompt_tokens": 6 + 1, "completion_tokens": 40, "total_tokens": 47}
    assert expected[0] != expected[1]  # two draws, not one twice
    assert metric(client, "kerazoo_serving_requests_total", model="gpt", signature="step", kind="completions",
                  code="200") == before + 1


def test_stop_cuts_at_the_first_stop_string_streamed_or_not(served):
    _, client, _ = served
    text = generated(client, "gpt", PROMPT, 12)
    stop = text[6:8]
    cut = text.find(stop)  # one stop string: its first occurrence is the first to end
    body = {"model": "gpt", "prompt": PROMPT, "max_tokens": 12, "temperature": 0, "stop": [stop, "\x00never"]}
    data = client.post("/v1/completions", json=body).json()
    assert (data["choices"][0]["text"], data["choices"][0]["finish_reason"]) == (text[:cut], "stop")
    # Generation stopped at the stop string: its characters were made, the rest were not.
    assert data["usage"] == {"prompt_tokens": 6, "completion_tokens": cut + 2, "total_tokens": 6 + cut + 2}
    streamed = events(client.post("/v1/completions", json={**body, "stream": True}).text)
    assert streamed[-1] == "[DONE]"
    assert "".join(chunk["choices"][0]["text"] for chunk in streamed[:-1]) == text[:cut]
    assert [chunk["choices"][0]["finish_reason"] for chunk in streamed[:-1]][-1] == "stop"


def test_the_stop_scanner_cuts_the_same_text_in_pieces_or_whole():
    from kerazoo.serving.openai_requests import StopScanner

    cases = [("abcd", ["bcd", "c"], "ab"), ("abcd", ["bc", "abcd"], "a"), ("xabxabc", ["abc"], "xabx"),
             ("hello", ["z"], "hello"), ("aab", ["ab", "aab"], "")]
    for text, stops, expected in cases:
        whole = StopScanner(stops)
        assert whole.feed(text) + ("" if whole.stopped else whole.rest()) == expected
        pieces, shown = StopScanner(stops), []
        for character in text:
            shown.append(pieces.feed(character))
            # What is shown is never part of a stop string: it is final.
            assert expected.startswith("".join(shown)), (text, stops, shown)
        assert "".join(shown) + ("" if pieces.stopped else pieces.rest()) == expected, (text, stops)
    held = StopScanner(["abc"])
    assert (held.feed("xab"), held.feed("d"), held.rest()) == ("x", "abd", "")


def test_a_streamed_completion_sends_openais_chunks_and_done(served, openai_client):
    _, client, _ = served
    expected = generated(client, "lstm", PROMPT, 12)
    chunks = list(openai_client.completions.create(model="lstm", prompt=PROMPT, max_tokens=12, temperature=0,
                                                   stream=True))
    assert "".join(chunk.choices[0].text for chunk in chunks) == expected
    assert [chunk.choices[0].finish_reason for chunk in chunks] == [None] * (len(chunks) - 1) + ["length"]
    assert {chunk.object for chunk in chunks} == {"text_completion"} and len({chunk.id for chunk in chunks}) == 1
    with client.stream("POST", "/v1/completions", json={"model": "lstm", "prompt": PROMPT, "max_tokens": 12,
                                                        "temperature": 0, "stream": True}) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        text = response.read().decode()
    assert text.endswith("data: [DONE]\n\n")
    assert len(events(text)) == 12 + 1  # one chunk per character, the last with its finish_reason


# --- Chat ---

MORROW = [{"role": "user", "content": "Good morrow."}]
NEWS = [{"role": "user", "content": "How now, my lord?"}, {"role": "assistant", "content": "What news?"},
        {"role": "user", "content": "I pray you, sir, no news from the court!"}]


def python_reply(exported, messages, **options):
    """The Python API's reply to the messages' contents (the model reads no roles), as `chat` is exported."""
    model, vocabulary = exported[1]
    return reply(model, vocabulary, [message["content"] for message in messages], **options)


@pytest.mark.parametrize("messages", [MORROW, NEWS], ids=["one turn", "three turns"])
def test_a_greedy_chat_reply_is_the_python_apis(served, exported, openai_client, messages):
    expected = python_reply(exported, messages, temperature=0.0)
    completion = openai_client.chat.completions.create(model="chat", messages=messages, temperature=0)
    assert completion.object == "chat.completion" and completion.model == "chat"
    assert completion.id.startswith("chatcmpl-")
    (choice,) = completion.choices
    assert (choice.index, choice.message.role, choice.message.content, choice.finish_reason) == \
        (0, "assistant", expected.text, expected.finish_reason)
    # The signature's own counts: the context ids it read, the reply ids it made.
    usage = completion.usage
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == \
        (expected.prompt_tokens, expected.completion_tokens, expected.prompt_tokens + expected.completion_tokens)
    # A model with `chat` alone answers whole replies too (it refuses only a stream, below).
    whole = openai_client.chat.completions.create(model="unstreamed", messages=messages, temperature=0)
    assert (whole.choices[0].message.content, whole.choices[0].finish_reason) == (expected.text, expected.finish_reason)


def test_greedy_replies_differ_with_the_conversation(exported):
    # Otherwise the tests above could not tell a conversation from another.
    assert python_reply(exported, MORROW, temperature=0.0).text != python_reply(exported, NEWS, temperature=0.0).text


def test_chat_choice_i_is_the_python_reply_with_seed_plus_i(served, exported):
    _, client, _ = served
    response = client.post("/v1/chat/completions", json={"model": "chat", "messages": MORROW, "n": 3,
                                                          "temperature": 1.0, "top_p": 0.95, "seed": 0})
    assert response.status_code == 200, response.text
    data = response.json()
    expected = [python_reply(exported, MORROW, temperature=1.0, top_p=0.95, seed=i) for i in range(3)]
    assert [(c["index"], c["message"]["content"], c["finish_reason"]) for c in data["choices"]] == \
        [(i, e.text, e.finish_reason) for i, e in enumerate(expected)]
    assert {e.finish_reason for e in expected} == {"stop", "length"}  # the model's end token and `max_tokens`
    made = sum(e.completion_tokens for e in expected)
    assert data["usage"] == {"prompt_tokens": expected[0].prompt_tokens, "completion_tokens": made,
                             "total_tokens": expected[0].prompt_tokens + made}


@pytest.mark.parametrize("options", [{"temperature": 0}, {"temperature": 1.0, "seed": 1, "max_tokens": 8}],
                         ids=["greedy", "sampled"])
def test_a_streamed_chat_reply_is_the_reply_piece_by_piece(served, exported, openai_client, options):
    _, client, _ = served
    whole = client.post("/v1/chat/completions", json={"model": "chat", "messages": NEWS, **options}).json()
    (choice,) = whole["choices"]
    chunks = list(openai_client.chat.completions.create(model="chat", messages=NEWS, stream=True, **options))
    assert {chunk.object for chunk in chunks} == {"chat.completion.chunk"} and len({c.id for c in chunks}) == 1
    model, vocabulary = exported[1]
    python = {"temperature": float(options["temperature"]), "seed": options.get("seed", 0),
              "max_length": options.get("max_tokens")}
    pieces = list(stream_reply(model, vocabulary, [m["content"] for m in NEWS], **python))
    # One chunk per `chat_step` piece, between the role and the finish.
    assert [(c.choices[0].delta.role, c.choices[0].delta.content, c.choices[0].finish_reason) for c in chunks] == \
        [("assistant", "", None)] + [(None, piece, None) for piece in pieces] + [(None, None, choice["finish_reason"])]
    assert "".join(pieces) == choice["message"]["content"] and len(pieces) >= 2


def test_stop_cuts_a_chat_reply_streamed_or_not(served, exported):
    _, client, _ = served
    text = python_reply(exported, NEWS, temperature=0.0).text
    stop = text[len(text) // 2: len(text) // 2 + 3]
    cut = text.find(stop)
    assert cut > 0
    body = {"model": "chat", "messages": NEWS, "temperature": 0, "stop": ["\x00never", stop]}
    data = client.post("/v1/chat/completions", json=body).json()
    assert (data["choices"][0]["message"]["content"], data["choices"][0]["finish_reason"]) == (text[:cut], "stop")
    streamed = events(client.post("/v1/chat/completions", json={**body, "stream": True}).text)
    assert streamed[-1] == "[DONE]"
    deltas = [chunk["choices"][0] for chunk in streamed[:-1]]
    assert "".join(d["delta"].get("content", "") for d in deltas) == text[:cut]
    assert [d["finish_reason"] for d in deltas] == [None] * (len(deltas) - 1) + ["stop"]


# --- Errors ---


def test_the_openai_client_raises_the_refusal(openai_client):
    with pytest.raises(openai.BadRequestError) as raised:
        openai_client.completions.create(model="gpt", prompt=PROMPT, max_tokens=10**9)
    assert raised.value.body["param"] == "max_tokens" and raised.value.body["type"] == "invalid_request_error"
    assert "`max_tokens` must be an integer in [1, 10000] (10000 is the model's limit `max_length`" in \
        raised.value.message
    with pytest.raises(openai.BadRequestError) as raised:
        openai_client.completions.create(model="gpt", prompt=PROMPT, extra_body={"top_k": 5})
    assert raised.value.body["param"] == "top_k"
    assert "Unrecognized request argument supplied: top_k" in raised.value.message
    with pytest.raises(openai.NotFoundError) as raised:
        openai_client.chat.completions.create(model="nope", messages=[{"role": "user", "content": "hi"}])
    assert raised.value.body["param"] == "model"
    for stream in (False, True):
        with pytest.raises(openai.BadRequestError) as raised:
            openai_client.chat.completions.create(model="words", messages=[{"role": "user", "content": "hi"}],
                                                  stream=stream)
        assert raised.value.body["param"] == "model" and raised.value.body["type"] == "invalid_request_error"
        assert "Model words is not a chat model: its SavedModel has no `chat` signature" in raised.value.message


def _completion(**changes):
    return json.dumps({"model": "gpt", "prompt": "O", "max_tokens": 2, **changes})


def _chat(**changes):
    return json.dumps({"model": "chat", "messages": [{"role": "user", "content": "hi"}], **changes})


C, H = "/v1/completions", "/v1/chat/completions"
REFUSALS = [
    ("malformed JSON", C, b'{"model": "gpt",', 400, None, "not valid JSON"),
    ("not UTF-8", C, b'{"model": "gpt", "prompt": "\xff\xfe"}', 400, None, "not valid JSON"),
    ("not an object", C, b"[1, 2]", 400, None, "must be a JSON object"),
    ("no model", C, json.dumps({"prompt": "O"}), 400, "model", "`model` must be the name"),
    ("unknown model", C, _completion(model="nope"), 404, "model", "Servable not found"),
    ("../ in the model", C, _completion(model="../gpt"), 400, "model", "plain folder name"),
    ("unknown field", C, _completion(top_k=5), 400, "top_k", "Unrecognized request argument supplied: top_k"),
    ("empty prompt", C, _completion(prompt=""), 400, "prompt", "non-empty string"),
    ("empty prompt list", C, _completion(prompt=[]), 400, "prompt", "non-empty list"),
    ("token prompt", C, _completion(prompt=[1, 2]), 400, "prompt", "token id prompts are not taken"),
    ("100,000 characters", C, _completion(prompt="O" * 100_000), 400, "prompt",
     "at most 100 characters, the model's limit `max_prompt_length`. Received 100000"),
    ("max_tokens 10^9", C, _completion(max_tokens=10**9), 400, "max_tokens",
     "`max_tokens` must be an integer in [1, 10000] (10000 is the model's limit `max_length`"),
    ("max_tokens 0", C, _completion(max_tokens=0), 400, "max_tokens", "Received: max_tokens=0"),
    ("max_tokens a string", C, _completion(max_tokens="5"), 400, "max_tokens", "Received: max_tokens='5'"),
    ("n past max_batch", C, _completion(n=1000), 400, "n", "must be <= 8, the model's limit `max_batch`"),
    ("n fractional", C, _completion(n=1.5), 400, "n", "`n` must be an integer"),
    ("steps past the budget", C, _completion(model="lstm", n=2, max_tokens=300), 400, "max_tokens",
     "`max_batch_steps`"),
    ("temperature a string", C, _completion(temperature="hot"), 400, "temperature", "Received: temperature='hot'"),
    ("temperature NaN", C, _completion().replace('"max_tokens": 2', '"temperature": NaN'), 400, "temperature",
     "`temperature` must be in [0, 2]"),
    ("top_p 0", C, _completion(top_p=0), 400, "top_p", "`top_p` must be in (0, 1]"),
    ("negative seed", C, _completion(seed=-1), 400, "seed", "Received: seed=-1"),
    ("five stops", C, _completion(stop=list("abcde")), 400, "stop", "1 to 4 strings"),
    ("empty stop", C, _completion(stop=""), 400, "stop", "1 to 4 strings"),
    ("stream a string", C, _completion(stream="yes"), 400, "stream", "`stream` must be true or false"),
    ("user a number", C, _completion(user=5), 400, "user", "`user` must be a string"),
    ("a model that cannot complete", C, _completion(model="words"), 400, "model", "cannot complete text"),
    ("a chat model on completions", C, _completion(model="chat"), 400, "model", "use POST /v1/chat/completions"),
    ("empty messages", H, _chat(messages=[]), 400, "messages", "non-empty list"),
    ("messages a string", H, _chat(messages="hi"), 400, "messages", "non-empty list"),
    ("unknown role", H, _chat(messages=[{"role": "wizard", "content": "hi"}]), 400, "messages[0].role",
     "`messages[0].role` must be one of ['system', 'user', 'assistant']. Received: messages[0].role='wizard'"),
    ("content not a string", H, _chat(messages=[{"role": "user", "content": 5}]), 400, "messages[0].content",
     "must be a string"),
    ("unknown message field", H, _chat(messages=[{"role": "user", "content": "hi", "name": "x"}]), 400,
     "messages[0].name", "a message has `role` and `content`"),
    ("100,000-character message", H, _chat(messages=[{"role": "user", "content": "O" * 100_000}]), 400,
     "messages[0].content", "at most 2000 characters, the model's limit `max_turn_length`. Received 100000"),
    ("a lone surrogate", H, _chat(messages=[{"role": "user", "content": "ab\ud800"}]), 400, "messages[0].content",
     "`messages[0].content` must be UTF-8 text. Received a lone surrogate, '\\ud800', at character 2"),
    ("65 messages", H, _chat(messages=[{"role": "user", "content": "hi"}] * 65), 400, "messages",
     "`messages` must hold at most 64 messages, the model's limit `max_turns`"),
    ("a system message", H, _chat(messages=[{"role": "system", "content": "Be brief."},
                                            {"role": "user", "content": "hi"}]), 400,
     "messages[0].role", "`messages[0]` is a system message, which model chat cannot take"),
    ("max_tokens past the longest reply", H, _chat(max_tokens=11), 400, "max_tokens",
     "`max_tokens` must be an integer in [1, 10] (10 is the longest reply this model makes"),
    ("top_p 0 to chat", H, _chat(top_p=0), 400, "top_p", "`top_p` must be in (0, 1]"),
    ("n past max_batch to chat", H, _chat(n=65), 400, "n", "must be <= 64, the model's limit `max_batch`"),
    ("a completion model on chat", H, _chat(model="gpt"), 400, "model", "use POST /v1/completions for it"),
    ("a model with no chat signature", H, _chat(model="words"), 400, "model", "Model words is not a chat model"),
    ("a chat signature of another shape", H, _chat(model="odd"), 400, "model", "is not of the shape"),
    ("a stream without chat_step", H, _chat(model="unstreamed", stream=True), 400, "stream",
     "Model unstreamed cannot stream a reply: its SavedModel has no `chat_step` signature"),
    ("body over the limit", C, _completion(prompt="O" * BODY_LIMIT), 413, None, f"at most {BODY_LIMIT} bytes"),
]


@pytest.mark.parametrize("case,path,body,status,param,words", REFUSALS, ids=[case[0] for case in REFUSALS])
def test_bad_requests_are_refused_in_openais_shape_and_the_server_keeps_serving(served, case, path, body, status,
                                                                                 param, words):
    _, client, _ = served
    response = client.post(path, content=body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"} and error["param"] == param, error
    assert error["type"] == ("invalid_request_error" if status in (400, 413) else "not_found_error")
    assert words in error["message"], error["message"]
    assert client.post(C, content=_completion()).status_code == 200


def test_the_routers_refusals_on_openai_routes_are_in_openais_shape(served):
    _, client, _ = served
    response = client.get("/v1/completions")
    assert response.status_code == 405 and response.headers["allow"] == "POST"
    assert response.json()["error"]["type"] == "invalid_request_error"


# --- Bounded work: the deadline, a client that leaves ---


def test_past_the_deadline_a_completion_stops_with_504_or_an_error_chunk(served):
    server, client, _ = served
    settings = server.app.app.state.settings
    body = {"model": "gpt", "prompt": "O", "max_tokens": 10_000}
    stopped = metric(client, "kerazoo_serving_stopped_requests_total", reason="deadline")
    settings.request_timeout = 0.3
    try:
        answered = client.post("/v1/completions", json=body)
        streamed = client.post("/v1/completions", json={**body, "stream": True})
    finally:
        settings.request_timeout = 30.0
    assert answered.status_code == 504
    assert answered.json()["error"]["type"] == "timeout_error"
    # The answer waited for the worker thread, whose generation the deadline cancelled.
    assert metric(client, "kerazoo_serving_active_calls") == 0
    assert metric(client, "kerazoo_serving_stopped_requests_total", reason="deadline") >= stopped + 1
    if streamed.status_code == 504:  # a loaded machine: the deadline passed during the prompt read
        return
    last = events(streamed.text)[-1]
    assert last["error"]["code"] == "deadline_exceeded" and "[DONE]" not in streamed.text


def test_a_client_that_leaves_a_stream_stops_its_generation(served):
    _, client, _ = served
    before = metric(client, "kerazoo_serving_stream_characters_total", model="gpt")
    with client.stream("POST", "/v1/completions", json={"model": "gpt", "prompt": "O", "max_tokens": 10_000,
                                                        "stream": True}) as response:
        lines = response.iter_lines()
        while sum(1 for line in zip(range(6), lines)) < 6:
            pass
    assert wait_until(lambda: metric(client, "kerazoo_serving_active_streams") == 0)
    made = metric(client, "kerazoo_serving_stream_characters_total", model="gpt") - before
    time.sleep(0.5)
    assert metric(client, "kerazoo_serving_stream_characters_total", model="gpt") - before == made
    assert 3 <= made < 1000


def test_a_client_that_leaves_a_completion_stops_its_generation(served):
    server, client, _ = served
    stopped = metric(client, "kerazoo_serving_stopped_requests_total", reason="disconnect")
    body = json.dumps({"model": "gpt", "prompt": "O", "max_tokens": 10_000}).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as s:
        s.sendall(b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        assert wait_until(lambda: metric(client, "kerazoo_serving_active_calls") == 1)
    assert wait_until(lambda: metric(client, "kerazoo_serving_stopped_requests_total", reason="disconnect")
                      == stopped + 1)
    assert metric(client, "kerazoo_serving_active_calls") == 0  # the worker thread has returned
    cpu = time.process_time()
    time.sleep(1.0)
    assert time.process_time() - cpu < 0.5  # nothing generates any more (CPU time, not wall time)

"""`kerazoo serve`'s OpenAI-compatible routes against a real server, with the official `openai` client and httpx:
completions equal to what TF Serving's `:predict` route generates, exact usage counts, stop strings, streams,
a chat model (a tiny SavedModel with a `chat` signature, built here), and every refusal in OpenAI's error shape
with the server still serving after it."""

import json
import os
import re
import socket
import time

import httpx
import openai
import pytest

from tests.serving.server import BODY_LIMIT
from tests.serving.server import ServerThread
from tests.serving.server import export_chat_models
from tests.serving.server import export_tiny_models

PROMPT = "ROMEO:"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    base = str(tmp_path_factory.mktemp("saved_models"))
    export_tiny_models(base, names=("lstm", "gpt", "words"))
    export_chat_models(base)
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


def metric(client, name, **labels):
    """The value of one Prometheus sample, 0 when absent."""
    for line in client.get("/monitoring/prometheus/metrics").text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0])) if "{" in line else {}
            if all(found.get(k) == v for k, v in labels.items()):
                return float(line.rsplit(" ", 1)[1])
    return 0.0


def wait_until(predicate, timeout=60.0):
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            return False
        time.sleep(0.025)
    return True


def events(response_text):
    """The `data:` payloads of a Server-Sent Events body, `[DONE]` as the string."""
    blocks = [block for block in response_text.split("\n\n") if block]
    assert all(block.startswith("data: ") and "\n" not in block for block in blocks), blocks
    return [block[6:] if block == "data: [DONE]" else json.loads(block[6:]) for block in blocks]


# --- The model list ---


def test_the_model_list_is_openais_and_keeps_kerazoos(served, openai_client):
    _, client, base = served
    data = client.get("/v1/models").json()
    names = ["echo", "gpt", "lstm", "odd", "words"]
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


def test_a_chat_model_answers_through_its_chat_signature(served, openai_client):
    _, client, _ = served
    reply = openai_client.chat.completions.create(model="echo", messages=[{"role": "user", "content": "good morrow"}])
    assert reply.object == "chat.completion" and reply.id.startswith("chatcmpl-")
    (choice,) = reply.choices
    assert (choice.message.role, choice.message.content, choice.finish_reason) == ("assistant", "GOOD MORROW", "stop")
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens, reply.usage.total_tokens) == (11, 11, 22)
    turns = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "HI"},
             {"role": "user", "content": "good morrow"}]
    cut = client.post("/v1/chat/completions", json={"model": "echo", "messages": turns, "max_tokens": 4,
                                                    "n": 2, "seed": 3, "temperature": 0.5}).json()
    assert [(c["index"], c["message"]["content"], c["finish_reason"]) for c in cut["choices"]] == \
        [(0, "GOOD", "length"), (1, "GOOD", "length")]
    assert cut["usage"] == {"prompt_tokens": 2 + 2 + 11, "completion_tokens": 8, "total_tokens": 23}
    stopped = client.post("/v1/chat/completions", json={"model": "echo", "messages": turns, "stop": "MOR"}).json()
    assert (stopped["choices"][0]["message"]["content"], stopped["choices"][0]["finish_reason"]) == ("GOOD ", "stop")


def test_a_streamed_chat_reply_sends_role_content_and_finish(served, openai_client):
    chunks = list(openai_client.chat.completions.create(
        model="echo", messages=[{"role": "user", "content": "good morrow"}], stream=True))
    assert {chunk.object for chunk in chunks} == {"chat.completion.chunk"}
    assert [(c.choices[0].delta.role, c.choices[0].delta.content, c.choices[0].finish_reason) for c in chunks] == \
        [("assistant", "", None), (None, "GOOD MORROW", None), (None, None, "stop")]


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


def _completion(**changes):
    return json.dumps({"model": "gpt", "prompt": "O", "max_tokens": 2, **changes})


def _chat(**changes):
    return json.dumps({"model": "echo", "messages": [{"role": "user", "content": "hi"}], **changes})


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
    ("a chat model on completions", C, _completion(model="echo"), 400, "model", "use POST /v1/chat/completions"),
    ("empty messages", H, _chat(messages=[]), 400, "messages", "non-empty list"),
    ("messages a string", H, _chat(messages="hi"), 400, "messages", "non-empty list"),
    ("unknown role", H, _chat(messages=[{"role": "wizard", "content": "hi"}]), 400, "messages[0].role",
     "`messages[0].role` must be one of ['system', 'user', 'assistant']. Received: messages[0].role='wizard'"),
    ("content not a string", H, _chat(messages=[{"role": "user", "content": 5}]), 400, "messages[0].content",
     "must be a string"),
    ("unknown message field", H, _chat(messages=[{"role": "user", "content": "hi", "name": "x"}]), 400,
     "messages[0].name", "a message has `role` and `content`"),
    ("100,000-character message", H, _chat(messages=[{"role": "user", "content": "O" * 100_000}]), 400,
     "messages[0].content", "at most 4096 characters"),
    ("a system message, no roles", H, _chat(messages=[{"role": "system", "content": "Be brief."},
                                                      {"role": "user", "content": "hi"}]), 400,
     "messages[0].role", "takes its turns without roles"),
    ("top_p it cannot honour", H, _chat(top_p=0.5), 400, "top_p", "cannot honour `top_p`"),
    ("max_tokens 10^9 to chat", H, _chat(max_tokens=10**9), 400, "max_tokens", "[1, 10000]"),
    ("a completion model on chat", H, _chat(model="gpt"), 400, "model", "use POST /v1/completions for it"),
    ("a chat signature of another shape", H, _chat(model="odd"), 400, "model", "is not of the shape"),
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

"""`kerazoo serve` against a real uvicorn server: TF Serving's REST API to the field, answers equal to the
Python API, streaming through `step`, versions picked up without a restart, and hostile requests refused
while the server keeps serving."""

import base64
import http.client
import json
import os
import re
import shutil
import socket
import time

import httpx
import numpy as np
import pytest

from kerazoo.generation import generate_text
from tests.serving.server import BODY_LIMIT
from tests.serving.server import ServerThread
from tests.serving.server import export_tiny_models

GENERATE = {"max_length": 12, "temperature": 0.9, "top_k": 0, "top_p": 1.0, "seed": 7}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    base = str(tmp_path_factory.mktemp("saved_models"))
    models = export_tiny_models(base)
    # A copy of the GPT for the version tests, so the other tests keep version 1 of "gpt".
    shutil.copytree(os.path.join(base, "gpt", "1"), os.path.join(base, "versions", "1"))
    with ServerThread(base) as server, httpx.Client(base_url=server.url, timeout=60) as client:
        yield server, client, models, base


def post(client, path, body):
    return client.post(path, content=body if isinstance(body, (bytes, str)) else json.dumps(body),
                       headers={"Content-Type": "application/json"})


def metric(client, name, **labels):
    """The value of one Prometheus sample, 0 when absent."""
    text = client.get("/monitoring/prometheus/metrics").text
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0])) if "{" in line else {}
            if all(found.get(k) == v for k, v in labels.items()):
                return float(line.rsplit(" ", 1)[1])
    return 0.0


def read_stream(client, name, **body):
    """The events of a `:stream` request as (kind, data) pairs."""
    with client.stream("POST", f"/v1/models/{name}:stream", json=body) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        text = response.read().decode()
    return [(block.split("\n")[0][len("event: "):], json.loads(block.split("\n")[1][len("data: "):]))
            for block in text.strip().split("\n\n")]


# --- TF Serving's REST API ---


def test_status_is_tf_servings_json(served):
    _, client, _, _ = served
    expected = {"model_version_status": [
        {"version": "1", "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}}]}
    assert client.get("/v1/models/gpt").json() == expected
    assert client.get("/v1/models/gpt/versions/1").json() == expected


def test_metadata_is_the_signature_def_json(served):
    _, client, _, _ = served
    data = client.get("/v1/models/gpt/metadata").json()
    assert data["model_spec"] == {"name": "gpt", "signature_name": "", "version": "1"}
    defs = data["metadata"]["signature_def"]["signature_def"]
    assert {"serving_default", "generate", "step"} <= set(defs)
    prompt = defs["generate"]["inputs"]["prompt"]
    assert prompt["dtype"] == "DT_STRING"
    assert prompt["tensor_shape"] == {"dim": [{"size": "-1", "name": ""}], "unknown_rank": False}
    assert defs["serving_default"]["outputs"]["logits"]["dtype"] == "DT_FLOAT"
    assert defs["generate"]["method_name"] == "tensorflow/serving/predict"
    assert client.get("/v1/models/gpt/versions/1/metadata").json() == data


def test_predict_row_and_column_formats_equal_the_python_api(served):
    _, client, models, _ = served
    ids = np.random.default_rng(0).integers(0, models["vocabulary"].size, size=(2, 5)).astype("int32")
    expected = np.asarray(models["lstm"](ids))
    rows = post(client, "/v1/models/lstm:predict", {"instances": ids.tolist()})
    assert rows.status_code == 200, rows.text
    np.testing.assert_allclose(np.asarray(rows.json()["predictions"]), expected, atol=1e-5)
    columns = post(client, "/v1/models/lstm/versions/1:predict",
                   {"signature_name": "serving_default", "inputs": {"token_ids": ids.tolist()}})
    np.testing.assert_allclose(np.asarray(columns.json()["outputs"]), expected, atol=1e-5)
    # One named input: `inputs` may be its value alone.
    alone = post(client, "/v1/models/lstm:predict", {"inputs": ids.tolist()})
    np.testing.assert_allclose(np.asarray(alone.json()["outputs"]), expected, atol=1e-5)


def test_generate_over_rest_equals_generate_text(served):
    _, client, models, _ = served
    prompts = ["ROMEO:", "O"]
    for name in ("lstm", "gpt"):
        response = post(client, f"/v1/models/{name}:predict",
                        {"signature_name": "generate", "inputs": {"prompt": prompts, **GENERATE}})
        assert response.status_code == 200, response.text
        expected = generate_text(models[name], models["vocabulary"], prompts, max_length=12, temperature=0.9,
                                 seed=7)
        assert response.json() == {"outputs": expected}


def test_strings_are_json_strings_and_bytes_travel_as_b64(served):
    _, client, models, _ = served
    vectors = models["vectors"]
    response = post(client, "/v1/models/words:predict",
                    {"signature_name": "most_similar", "inputs": {"word": {"b64": base64.b64encode(b"w3").decode()},
                                                                  "topn": 3}})
    assert response.status_code == 200, response.text
    outputs = response.json()["outputs"]
    assert outputs["words"] == [word for word, _ in vectors.most_similar("w3", topn=3)]
    np.testing.assert_allclose(outputs["scores"], [score for _, score in vectors.most_similar("w3", topn=3)],
                               atol=1e-5)
    # A prompt of bytes that are not UTF-8 comes back as {"b64": ...}: JSON cannot carry them as a string.
    raw = post(client, "/v1/models/gpt:predict",
               {"signature_name": "generate",
                "inputs": {"prompt": [{"b64": base64.b64encode(b"\xff\xfeRO").decode()}], **GENERATE}})
    assert raw.status_code == 200, raw.text
    text = base64.b64decode(raw.json()["outputs"][0]["b64"])
    assert text.startswith(b"\xff\xfeRO") and len(text) > 4


def test_row_format_with_several_outputs_answers_objects(served):
    _, client, _, _ = served
    response = post(client, "/v1/models/elmo:predict", {"signature_name": "embed", "instances": ["I watch the play"]})
    assert response.status_code == 200, response.text
    (row,) = response.json()["predictions"]
    assert {"elmo", "default", "sequence_len", "word_emb"} <= set(row)
    assert row["sequence_len"] == 4 and np.shape(row["elmo"]) == (4, 8)
    translated = post(client, "/v1/models/dates:predict", {"signature_name": "translate", "instances": ["3 March 1998"]})
    assert translated.status_code == 200 and isinstance(translated.json()["predictions"][0], str)


def test_classify_and_regress_answer_a_clear_error(served):
    _, client, _, _ = served
    for verb in ("classify", "regress"):
        response = post(client, f"/v1/models/gpt:{verb}", {"examples": [{"x": 1}]})
        assert response.status_code == 400
        assert f"no {verb} signature" in response.json()["error"] and ":predict" in response.json()["error"]


def test_model_list_and_playground_page(served):
    _, client, _, _ = served
    names = [model["name"] for model in client.get("/v1/models").json()["models"]]
    assert names == ["dates", "elmo", "gpt", "lstm", "versions", "words"]
    page = client.get("/")
    assert page.status_code == 200 and "kerazoo playground" in page.text


# --- Streaming ---


@pytest.mark.parametrize("name", ["lstm", "gpt"])
def test_a_stream_gives_the_text_of_generate_with_the_same_seed(served, name):
    _, client, _, _ = served
    events = read_stream(client, name, prompt="ROMEO:", **GENERATE)
    kinds = [kind for kind, _ in events]
    assert kinds == ["token"] * 12 + ["done"]
    streamed = "ROMEO:" + "".join(data["text"] for kind, data in events if kind == "token")
    generated = post(client, f"/v1/models/{name}:predict",
                     {"signature_name": "generate", "inputs": {"prompt": ["ROMEO:"], **GENERATE}}).json()["outputs"]
    assert [streamed] == generated
    done = events[-1][1]
    assert done["characters"] == 12 and done["first_chunk_seconds"] > 0
    assert metric(client, "kerazoo_serving_stream_first_chunk_seconds_count", model=name) >= 1


def test_a_gpt_stream_runs_past_its_context_through_the_cache(served):
    _, client, _, _ = served
    events = read_stream(client, "gpt", prompt="O", max_length=40, temperature=0.0)
    assert sum(kind == "token" for kind, _ in events) == 40  # context 16: the cache slides


def test_a_client_that_disconnects_stops_its_generation(served):
    _, client, _, _ = served
    before = metric(client, "kerazoo_serving_stream_characters_total", model="gpt")
    with client.stream("POST", "/v1/models/gpt:stream", json={"prompt": "O", "max_length": 10000}) as response:
        lines = response.iter_lines()
        while sum(1 for _ in zip(range(6), lines)) < 6:
            pass
    # The connection is closed: the stream ends within a step or two, far short of 10,000 characters.
    deadline = time.time() + 30
    while metric(client, "kerazoo_serving_active_streams") > 0 and time.time() < deadline:
        time.sleep(0.1)
    assert metric(client, "kerazoo_serving_active_streams") == 0
    made = metric(client, "kerazoo_serving_stream_characters_total", model="gpt") - before
    time.sleep(0.5)
    assert metric(client, "kerazoo_serving_stream_characters_total", model="gpt") - before == made
    assert 3 <= made < 1000


def test_streaming_refusals(served):
    _, client, _, _ = served
    cases = [
        ("dates", {"prompt": "3 March"}, "cannot stream"),
        ("gpt", {"prompt": ""}, "`prompt` must be a non-empty string"),
        ("gpt", {"prompt": "x" * 101}, "at most 100 characters"),
        ("gpt", {"prompt": "O", "temperature": -1}, "`temperature` must be in [0.0, inf]"),
        ("gpt", {"prompt": "O", "top_p": 0}, "`top_p` must be in (0.0, 1.0]"),
        ("gpt", {"prompt": "O", "max_length": 10**6}, "`max_length` must be in [1, 10000]"),
        ("gpt", {"prompt": "O", "top_k": "5"}, "`top_k` must be an integer"),
        ("gpt", {"prompt": "O", "beam": 2}, "Unknown keys"),
    ]
    for name, body, message in cases:
        response = post(client, f"/v1/models/{name}:stream", body)
        assert response.status_code == 400, (body, response.text)
        assert message in response.json()["error"], (body, response.json())


# --- Versions ---


def _wait_for(predicate, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.slow
def test_a_new_version_is_served_without_restart_and_in_flight_requests_finish_on_the_old(served):
    from kerazoo.export.saved_model import write_new_version

    _, client, _, base = served
    folder = os.path.join(base, "versions")
    with client.stream("POST", "/v1/models/versions:stream", json={"prompt": "O", "max_length": 300}) as old:
        assert old.status_code == 200
        # Written the way `kerazoo export` writes: to a temporary folder, then renamed to the next version.
        write_new_version(folder, lambda target, assets: shutil.copytree(os.path.join(folder, "1"), target))
        started = time.time()
        assert _wait_for(lambda: client.get("/v1/models/versions/metadata").json()["model_spec"]["version"] == "2")
        picked_up = time.time() - started
        events = [json.loads(line[6:]) for line in old.iter_lines() if line.startswith("data: ")]
    assert events[-1]["version"] == "1" and events[-1]["characters"] == 300  # finished on version 1
    status = client.get("/v1/models/versions").json()["model_version_status"]
    assert [(s["version"], s["state"]) for s in status] == [("2", "AVAILABLE"), ("1", "END")]
    print(f"version 2 picked up after {picked_up:.2f} s")
    assert post(client, "/v1/models/versions/versions/1:predict", {"instances": [[1]]}).status_code == 404

    # A version that fails to load is reported, and version 2 keeps serving.
    def broken(target, assets):
        os.makedirs(target)
        with open(os.path.join(target, "saved_model.pb"), "wb") as f:
            f.write(b"not a SavedModel")

    write_new_version(folder, broken)
    assert _wait_for(lambda: len(client.get("/v1/models/versions").json()["model_version_status"]) == 3)
    assert _wait_for(lambda: client.get("/v1/models/versions/versions/3").json()["model_version_status"][0]["state"]
                     == "END")
    (three,) = client.get("/v1/models/versions/versions/3").json()["model_version_status"]
    assert three["status"]["error_code"] == "UNKNOWN" and "Failed to load versions version 3" in \
        three["status"]["error_message"]
    assert client.get("/v1/models/versions/metadata").json()["model_spec"]["version"] == "2"
    assert post(client, "/v1/models/versions:predict", {"instances": [[1, 2]]}).status_code == 200


# --- Hostile requests ---

ROW = {"instances": [[1, 2, 3]]}
GEN = {"signature_name": "generate", "inputs": {"prompt": ["O"], **GENERATE}}


def _gen(**changes):
    return json.dumps({"signature_name": "generate", "inputs": {"prompt": ["O"], **GENERATE, **changes}})


HOSTILE = [
    ("malformed JSON", "/v1/models/gpt:predict", b'{"instances": [[1, 2,', 400, "not valid JSON"),
    ("not UTF-8", "/v1/models/gpt:predict", b'{"instances": "\xff"}', 400, "not valid JSON"),
    ("not an object", "/v1/models/gpt:predict", b"[1, 2]", 400, "must be a JSON object"),
    ("nested too deep", "/v1/models/gpt:predict", b"[" * 100_000 + b"]" * 100_000, 400, "nested too deeply"),
    ("both formats", "/v1/models/gpt:predict", json.dumps({**ROW, "inputs": [[1]]}), 400, "not both"),
    ("no inputs", "/v1/models/gpt:predict", b"{}", 400, "either `instances`"),
    ("unknown key", "/v1/models/gpt:predict", json.dumps({**ROW, "instance": 1}), 400, "Unknown keys"),
    ("strings for ids", "/v1/models/gpt:predict", json.dumps({"instances": [["a", "b"]]}), 400, "must hold numbers"),
    ("fractional ids", "/v1/models/gpt:predict", json.dumps({"instances": [[1.5]]}), 400, "must hold integers"),
    ("id past int32", "/v1/models/gpt:predict", json.dumps({"instances": [[2**40]]}), 400, "must fit in int32"),
    ("id past the vocabulary", "/v1/models/gpt:predict", json.dumps({"instances": [[999]]}), 400,
     "must be < the vocabulary size"),
    ("ragged", "/v1/models/gpt:predict", json.dumps({"instances": [[1, 2], [3]]}), 400, "ragged"),
    ("wrong rank", "/v1/models/gpt:predict", json.dumps({"instances": [1, 2]}), 400, "must have rank 2"),
    ("missing input", "/v1/models/gpt:predict",
     json.dumps({"signature_name": "generate", "inputs": {"prompt": ["O"]}}), 400, "missing inputs"),
    ("unknown input", "/v1/models/gpt:predict", _gen(beam=3), 400, "unknown inputs ['beam']"),
    ("scalars in row format", "/v1/models/gpt:predict",
     json.dumps({"signature_name": "generate", "instances": [{"prompt": "O", **GENERATE}]}), 400, "column format"),
    ("a string for a number", "/v1/models/gpt:predict", _gen(temperature="hot"), 400, "must hold numbers"),
    ("null", "/v1/models/gpt:predict", _gen(seed=None), 400, "must hold numbers"),
    ("bad base64", "/v1/models/gpt:predict", _gen(prompt=[{"b64": "%%%"}]), 400, "valid base64"),
    ("NaN", "/v1/models/gpt:predict", _gen().replace('"temperature": 0.9', '"temperature": NaN'), 400, "finite"),
    ("Infinity", "/v1/models/gpt:predict", _gen().replace('"top_p": 1.0', '"top_p": Infinity'), 400, "finite"),
    ("-Infinity", "/v1/models/gpt:predict", _gen().replace('"temperature": 0.9', '"temperature": -Infinity'), 400,
     "finite"),
    ("1e999", "/v1/models/gpt:predict", _gen().replace('"temperature": 0.9', '"temperature": 1e999'), 400, "finite"),
    ("huge max_length", "/v1/models/gpt:predict", _gen(max_length=2**31 - 1), 400, "`max_length` must be <= 10000"),
    ("negative temperature", "/v1/models/gpt:predict", _gen(temperature=-1.0), 400, "`temperature` must be >= 0"),
    ("batch of 10^5 ids", "/v1/models/gpt:predict", json.dumps({"instances": [[1]] * 100_000}), 400,
     "at most 8 items"),
    ("batch of 10^5 prompts", "/v1/models/gpt:predict", _gen(prompt=["O"] * 100_000), 400, "at most 8 rows"),
    ("a prompt past the limit", "/v1/models/gpt:predict", _gen(prompt=["O" * 5000]), 400, "at most 100 characters"),
    ("body over the limit", "/v1/models/gpt:predict", json.dumps({"instances": [[1] * (BODY_LIMIT // 2)]}), 413,
     f"at most {BODY_LIMIT} bytes"),
    ("unknown signature", "/v1/models/gpt:predict", json.dumps({**ROW, "signature_name": "tokenize"}), 400,
     "Serving signature name: \"tokenize\" not found"),
    ("signature not a string", "/v1/models/gpt:predict", json.dumps({**ROW, "signature_name": 3}), 400,
     "`signature_name` must be a string"),
    ("unknown version", "/v1/models/gpt/versions/7:predict", json.dumps(ROW), 404, "Specific(gpt, 7)"),
    ("version not a number", "/v1/models/gpt/versions/x1:predict", json.dumps(ROW), 400, "non-negative integer"),
    ("unknown model", "/v1/models/nope:predict", json.dumps(ROW), 404, "Servable not found for request: Latest(nope)"),
    ("unknown verb", "/v1/models/gpt:explode", json.dumps(ROW), 404, "Malformed request"),
    ("../ in the name", "/v1/models/../gpt:predict", json.dumps(ROW), 400, "plain folder name"),
    ("..%2F in the name", "/v1/models/..%2F..%2Fgpt:predict", json.dumps(ROW), 400, "plain folder name"),
    ("hidden name", "/v1/models/.export-1:predict", json.dumps(ROW), 400, "plain folder name"),
    ("a word that is not UTF-8", "/v1/models/words:predict",
     json.dumps({"signature_name": "most_similar", "inputs": {"word": {"b64": "//6A"}, "topn": 2}}), 400,
     "is not in the vocabulary"),
]


def _raw_request(server, method, path, body, headers=None):
    """Sends `path` as written (no URL normalising) and returns (status, JSON)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    body = body.encode() if isinstance(body, str) else body
    connection.request(method, path, body=body, headers={"Content-Type": "application/json", **(headers or {})})
    response = connection.getresponse()
    status, data = response.status, json.loads(response.read())
    connection.close()
    return status, data


@pytest.mark.parametrize("case,path,body,status,message", HOSTILE, ids=[case[0] for case in HOSTILE])
def test_hostile_requests_are_refused_and_the_server_keeps_serving(served, case, path, body, status, message):
    server, client, _, _ = served
    got, data = _raw_request(server, "POST", path, body)
    assert (got, list(data)) == (status, ["error"]), data
    assert message in data["error"], data["error"]
    assert post(client, "/v1/models/gpt:predict", ROW).status_code == 200


def _read_response(s):
    """A whole HTTP/1.1 response from socket `s`, as text."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(65536)
    head, body = data.split(b"\r\n\r\n", 1)
    length = int(re.search(rb"content-length: (\d+)", head, re.IGNORECASE).group(1))
    while len(body) < length:
        body += s.recv(65536)
    return (head + b"\r\n\r\n" + body).decode()


def test_a_body_announced_over_the_limit_is_refused_before_it_is_read(served):
    server, client, _, _ = served
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as s:
        s.sendall(b"POST /v1/models/gpt:predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 1000000000\r\n\r\n{")
        answer = _read_response(s)
    assert answer.startswith("HTTP/1.1 413") and "at most 1048576 bytes" in answer
    assert post(client, "/v1/models/gpt:predict", ROW).status_code == 200


# --- Monitoring and logs ---


def test_prometheus_metrics_count_requests_per_model_and_signature(served, caplog):
    _, client, _, _ = served
    before = metric(client, "kerazoo_serving_requests_total", model="gpt", signature="generate", code="200")
    with caplog.at_level("INFO", logger="kerazoo.serving"):
        assert post(client, "/v1/models/gpt:predict", GEN).status_code == 200
        # The access line is written once the response has gone out, so the client can read it first.
        deadline = time.time() + 10
        while time.time() < deadline and not any(
                "POST /v1/models/gpt:predict 200" in record.getMessage() for record in caplog.records):
            time.sleep(0.01)
    assert metric(client, "kerazoo_serving_requests_total", model="gpt", signature="generate", code="200") == before + 1
    assert metric(client, "kerazoo_serving_request_latency_seconds_count", model="gpt", signature="generate",
                  kind="predict") >= 1
    assert metric(client, "kerazoo_serving_model_version", model="gpt") == 1
    assert any("POST /v1/models/gpt:predict 200" in record.getMessage() for record in caplog.records)


def test_the_cli_binds_this_machine_by_default():
    from kerazoo.cli import build_parser

    args = build_parser().parse_args(["serve"])
    assert (args.base_dir, args.host, args.port) == ("saved_models", "127.0.0.1", 8501)
    assert args.func.__name__ == "cmd_serve"


# --- The playground, in a real headless browser ---

@pytest.mark.slow
def test_the_playground_streams_text_in_a_browser(served, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
    from selenium.webdriver.support.ui import WebDriverWait

    server, client, models, _ = served
    browser.get(server.url + "/")
    WebDriverWait(browser, 30).until(lambda d: len(Select(d.find_element(By.ID, "model")).options) == 6)

    def field(name, value):
        element = browser.find_element(By.ID, name)
        element.clear()
        element.send_keys(str(value))

    def text(name):
        return browser.find_element(By.ID, name).text

    # Generate: type a prompt, click, and watch the text grow as it streams.
    Select(browser.find_element(By.ID, "model")).select_by_value("lstm")
    field("prompt", "ROMEO:")
    field("length", 80)
    field("seed", 3)
    browser.find_element(By.ID, "generate").click()
    seen = set()
    WebDriverWait(browser, 120, poll_frequency=0.02).until(
        lambda d: seen.add(len(text("output"))) or not d.find_element(By.ID, "generate").get_attribute("disabled")
        and len(text("output")) > len("ROMEO:"))
    expected = post(client, "/v1/models/lstm:predict", {"signature_name": "generate", "inputs": {
        "prompt": ["ROMEO:"], "max_length": 80, "temperature": 0.8, "top_k": 0, "top_p": 1.0, "seed": 3}})
    shown = browser.execute_script("return document.getElementById('output').textContent")
    assert shown == expected.json()["outputs"][0]
    assert len([n for n in seen if len("ROMEO:") < n < len(shown)]) >= 1, seen  # text appeared before the end
    assert "characters" in text("generate-stats") and "first after" in text("generate-stats")
    screenshot = tmp_path / "playground.png"
    browser.save_screenshot(str(screenshot))
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("KERAZOO_SCREENSHOT"):
        shutil.copy(screenshot, os.environ["KERAZOO_SCREENSHOT"])

    # word2vec: nearest neighbours.
    Select(browser.find_element(By.ID, "model")).select_by_value("words")
    field("word", "w3")
    browser.find_element(By.ID, "neighbours").click()
    WebDriverWait(browser, 120).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#neighbours-table tr")) == 5)
    rows = [row.text.split() for row in browser.find_elements(By.CSS_SELECTOR, "#neighbours-table tr")]
    assert [word for word, _ in rows] == [word for word, _ in models["vectors"].most_similar("w3", topn=5)]

    # Seq2seq: translate a date.
    Select(browser.find_element(By.ID, "model")).select_by_value("dates")
    browser.find_element(By.ID, "translate").click()
    # Wait for the answer's line, not for text: an untrained model may well translate to "".
    WebDriverWait(browser, 120).until(lambda d: text("translate-stats") or text("translate-error"))
    translated = post(client, "/v1/models/dates:predict",
                      {"signature_name": "translate", "instances": ["Saturday, July 20, 1969"]}).json()
    assert text("translate-error") == ""
    assert text("target") == translated["predictions"][0].strip()
    assert text("translate-stats").startswith(f"{len(translated['predictions'][0])} characters in ")

    # ELMo: the same word in two sentences.
    Select(browser.find_element(By.ID, "model")).select_by_value("elmo")
    browser.find_element(By.ID, "similarity").click()
    WebDriverWait(browser, 120).until(lambda d: "cosine" in text("similarity-result"))
    embedded = post(client, "/v1/models/elmo:predict", {"signature_name": "embed", "inputs": {
        "sentences": ["I watch the play", "I play the music"]}}).json()["outputs"]["elmo"]
    a, b = np.asarray(embedded[0][3]), np.asarray(embedded[1][1])
    cosine = float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))
    assert text("similarity-result").endswith(f"{cosine:.4f}")


@pytest.mark.slow
def test_a_bounded_load_of_64_clients_gets_no_server_error(served):
    """The load benchmark's own client, shortened: 64 clients mixing predict, generate and stream, no 5xx."""
    import asyncio
    import importlib.util

    server, client, _, _ = served
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    spec = importlib.util.spec_from_file_location("serve_load", os.path.join(root, "benchmarks", "serve_load.py"))
    serve_load = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(serve_load)
    stats = asyncio.run(serve_load.load(server.url, clients=64, seconds=3.0, grace=120.0))
    answered = sum(stats["status"].values())
    assert answered >= 64 and stats["errors"] == 0 and stats["cut_at_deadline"] == 0, stats
    assert set(stats["status"]) == {"200"}, stats["status"]
    assert all(stats["latency"][kind] for kind in ("predict", "generate", "stream")), stats["latency"]
    # The server still answers the next request after the load.
    assert client.get("/v1/models/lstm").status_code == 200

"""The playground's caption and chat panels in headless Chromium, against a real `kerazoo serve` of a tiny captioner
and a tiny chat-family model: what the page shows is what the REST routes answer for the same bytes and messages."""

import base64
import io
import json

import httpx
import numpy as np
import pytest

from kerazoo.models.captioner.captioner_scenes import COLOURS
from kerazoo.models.captioner.captioner_scenes import SHAPES
from kerazoo.models.captioner.captioner_scenes import shape_mask
from tests.serving.server import ServerThread
from tests.serving.server import export_chat_models
from tests.serving.server import export_tiny_models

CANVAS = 256  # the drawing canvas's side, in pixels
HEAT_ALPHA = 170  # caption.js: the heatmap's opacity where a word's attention peaks


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    base = str(tmp_path_factory.mktemp("saved_models"))
    export_tiny_models(base, names=("shapes",))
    export_chat_models(base)
    with ServerThread(base) as server, httpx.Client(base_url=server.url, timeout=60) as client:
        yield server, client


def open_model(browser, server, name):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(server.url + "/")
    WebDriverWait(browser, 30).until(
        lambda d: name in [o.get_attribute("value") for o in Select(d.find_element(By.ID, "model")).options])
    Select(browser.find_element(By.ID, "model")).select_by_value(name)


def text(browser, element_id):
    return browser.execute_script(f"return document.getElementById('{element_id}').textContent")


def pixels(browser, canvas_id):
    """The canvas's RGBA pixels, [height, width, 4] uint8, as `getImageData` reads them."""
    data = browser.execute_script("""
        const canvas = document.getElementById(arguments[0]);
        const bytes = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
        let text = "";
        for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
        return [btoa(text), canvas.height, canvas.width];""", canvas_id)
    return np.frombuffer(base64.b64decode(data[0]), np.uint8).reshape(data[1], data[2], 4)


def upsampled_alpha(attention, size=CANVAS):
    """The overlay's opacity for one word's map: the grid upsampled bilinearly (cell centres at half a cell, edges
    held) to `size` pixels, its peak at HEAT_ALPHA."""
    attention = np.asarray(attention, np.float64)

    def axis(cells):
        g = np.clip((np.arange(size) + 0.5) * cells / size - 0.5, 0, cells - 1)
        low = np.floor(g).astype(int)
        return low, np.minimum(low + 1, cells - 1), g - low

    (y0, y1, fy), (x0, x1, fx) = axis(attention.shape[0]), axis(attention.shape[1])
    top = attention[y0][:, x0] * (1 - fx) + attention[y0][:, x1] * fx
    bottom = attention[y1][:, x0] * (1 - fx) + attention[y1][:, x1] * fx
    value = top * (1 - fy)[:, None] + bottom * fy[:, None]
    return HEAT_ALPHA * value / attention.max()


def predict(client, signature, image_bytes):
    return client.post("/v1/models/shapes:predict", json={
        "signature_name": signature, "inputs": {"image": [{"b64": base64.b64encode(image_bytes).decode("ascii")}]}})


def test_the_pages_scripts_are_served_by_name_only(served):
    from importlib import resources

    _, client = served
    static = resources.files("kerazoo.serving").joinpath("static")
    page = client.get("/").text
    for name in ("playground.js", "caption.js", "chat.js"):
        assert f'<script src="/static/{name}"></script>' in page
        response = client.get(f"/static/{name}")
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/javascript")
        assert response.text == static.joinpath(name).read_text(encoding="utf-8")
    for path in ("/static/index.html", "/static/nope.js", "/static/..%2Fapp.py", "/static/%2E%2E/app.py"):
        response = client.get(path)
        assert response.status_code == 404 and "Malformed request" in response.json()["error"], path
    # Self-contained: nothing is fetched from another host.
    for item in static.iterdir():
        assert "http://" not in item.read_text(encoding="utf-8") and "https://" not in item.read_text(encoding="utf-8")


@pytest.mark.slow
def test_the_caption_panel_captions_a_drawing_and_lays_each_words_attention_over_it(served, browser, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
    from selenium.webdriver.support.ui import WebDriverWait

    server, client = served
    open_model(browser, server, "shapes")
    assert browser.find_element(By.ID, "caption-panel").is_displayed()
    assert not browser.find_element(By.ID, "chat-panel").is_displayed()
    assert not browser.find_element(By.ID, "generate-panel").is_displayed()
    # The paint tool's colours and shapes are the scene generator's.
    swatches = browser.find_elements(By.CSS_SELECTOR, "#colours button")
    assert {s.get_attribute("data-colour"): tuple(map(int, s.get_attribute("data-rgb").split(","))) for s in swatches} \
        == COLOURS
    tools = [b.get_attribute("data-tool") for b in browser.find_elements(By.CSS_SELECTOR, "#shapes button")]
    assert tools == [*SHAPES, "brush"]
    canvas = browser.find_element(By.ID, "drawing")
    assert np.all(pixels(browser, "drawing") == 255)  # a white page

    def stamp(colour, tool, size, x, y):
        browser.find_element(By.CSS_SELECTOR, f"#colours [data-colour={colour}]").click()
        browser.find_element(By.CSS_SELECTOR, f"#shapes [data-tool={tool}]").click()
        browser.execute_script("const s = document.getElementById('shape-size'); s.value = arguments[0]; "
                               "s.dispatchEvent(new Event('input'));", size)
        ActionChains(browser).move_to_element_with_offset(canvas, x - CANVAS // 2, y - CANVAS // 2).click().perform()

    # Stamped shapes are the generator's shapes (its masks, at the canvas's scale), filled with the colour exactly;
    # the pointer may land a pixel off, hence the 3-pixel margin.
    drawn = np.zeros((CANVAS, CANVAS), bool)
    for colour, shape, size, x, y in (("blue", "square", 96, 80, 96), ("orange", "triangle", 72, 184, 70)):
        stamp(colour, shape, size, x, y)
        image = pixels(browser, "drawing")
        drawn |= shape_mask(shape, (x, y), size + 6, size=CANVAS)
        assert np.all(image[shape_mask(shape, (x, y), size - 6, size=CANVAS)][:, :3] == COLOURS[colour]), shape
        assert np.all(image[~drawn] == 255), shape
    # The brush paints along the pointer's path.
    browser.find_element(By.CSS_SELECTOR, "#colours [data-colour=green]").click()
    browser.find_element(By.CSS_SELECTOR, "#shapes [data-tool=brush]").click()
    ActionChains(browser).move_to_element_with_offset(canvas, 190 - 128, 200 - 128).click_and_hold() \
        .move_by_offset(50, 0).release().perform()
    assert np.all(pixels(browser, "drawing")[200, 195:236, :3] == COLOURS["green"])

    # Caption (greedy, then beam): the words shown are what :predict answers for the canvas's PNG.
    png = base64.b64decode(browser.execute_script(
        "return document.getElementById('drawing').toDataURL('image/png').split(',')[1]"))
    for search, signature in (("beam", "caption_beam"), ("greedy", "caption")):
        Select(browser.find_element(By.ID, "caption-search")).select_by_visible_text(search)
        browser.find_element(By.ID, "caption").click()
        WebDriverWait(browser, 60).until(lambda d: text(d, "caption-stats") or text(d, "caption-error"))
        assert text(browser, "caption-error") == ""
        expected = predict(client, signature, png)
        assert expected.status_code == 200, expected.text
        outputs = expected.json()["outputs"]
        assert text(browser, "caption-words") == outputs["caption"][0]
        assert text(browser, "caption-stats").startswith(f"{len(outputs['caption'][0].split())} words")
    words = [w for w in outputs["words"][0] if w]
    assert len(words) >= 2 and " ".join(words) == outputs["caption"][0]

    # Hovering word t lays its map over the picture: the overlay's opacity is the map upsampled, brightest in the
    # map's largest cell; leaving the word clears it. Focus does the same, for the keyboard.
    spans = browser.find_elements(By.CSS_SELECTOR, "#caption-words span")
    assert [s.text for s in spans] == words
    overlays = []
    cell = CANVAS // len(outputs["attention"][0][0])
    for t, span in enumerate(spans):
        ActionChains(browser).move_to_element(span).perform()
        overlay = pixels(browser, "heatmap")
        attention = np.asarray(outputs["attention"][0][t])
        assert np.abs(overlay[..., 3] - upsampled_alpha(attention)).max() <= 1, t
        assert np.all(overlay[..., 0][overlay[..., 3] > 0] == 255), t  # the heat colour, wherever it is drawn
        peak = np.unravel_index(overlay[..., 3].argmax(), overlay.shape[:2])
        assert (peak[0] // cell, peak[1] // cell) == np.unravel_index(attention.argmax(), attention.shape), t
        overlays.append(overlay[..., 3])
    assert any(np.any(a != overlays[0]) for a in overlays[1:])  # the overlay follows the word
    ActionChains(browser).move_to_element(browser.find_element(By.ID, "caption")).perform()
    assert np.all(pixels(browser, "heatmap")[..., 3] == 0)
    browser.execute_script("document.querySelectorAll('#caption-words span')[1].focus()")
    assert np.abs(pixels(browser, "heatmap")[..., 3] - upsampled_alpha(outputs["attention"][0][1])).max() <= 1
    browser.execute_script("document.activeElement.blur()")
    assert np.all(pixels(browser, "heatmap")[..., 3] == 0)

    # An uploaded file is sent as it is: a PNG is captioned as :predict captions its bytes ...
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(4).integers(0, 256, (24, 40, 3), dtype=np.uint8)).save(buffer, "PNG")
    picture = tmp_path / "picture.png"
    picture.write_bytes(buffer.getvalue())
    browser.find_element(By.ID, "image-file").send_keys(str(picture))
    WebDriverWait(browser, 30).until(lambda d: "picture.png" in text(d, "caption-stats"))
    assert np.any(pixels(browser, "drawing")[..., :3] != 255)  # shown on the canvas
    browser.find_element(By.ID, "caption").click()
    WebDriverWait(browser, 60).until(lambda d: "words" in text(d, "caption-stats") or text(d, "caption-error"))
    assert text(browser, "caption-words") == predict(client, "caption", picture.read_bytes()).json()["outputs"][
        "caption"][0]
    # ... and bytes that are not an image get the server's refusal, shown as text.
    notes = tmp_path / "notes.txt"
    notes.write_text("these are not the pixels you are looking for")
    browser.find_element(By.ID, "image-file").send_keys(str(notes))
    WebDriverWait(browser, 30).until(lambda d: "notes.txt" in text(d, "caption-stats"))
    assert text(browser, "caption-stats").endswith("sent as they are (this browser cannot show it)")
    browser.find_element(By.ID, "caption").click()
    WebDriverWait(browser, 60).until(lambda d: text(d, "caption-error"))
    refusal = predict(client, "caption", notes.read_bytes())
    assert refusal.status_code == 400
    assert text(browser, "caption-error") == refusal.json()["error"]
    assert "`image` must hold PNG or JPEG bytes" in text(browser, "caption-error")
    assert text(browser, "caption-words") == ""


CHUNK = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0, "model": "chat"}


def chunk(delta, finish=None):
    return "data: " + json.dumps({**CHUNK, "choices": [
        {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}) + "\n\n"


@pytest.mark.slow
def test_the_chat_panel_streams_replies_keeps_the_conversation_and_shows_refusals(served, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    server, client = served
    open_model(browser, server, "chat")
    assert browser.find_element(By.ID, "chat-panel").is_displayed()
    assert not browser.find_element(By.ID, "caption-panel").is_displayed()
    chat_input = browser.find_element(By.ID, "chat-input")

    def log():
        return [(m.find_element(By.TAG_NAME, "b").text, m.find_element(By.CLASS_NAME, "content").text)
                for m in browser.find_elements(By.CSS_SELECTOR, "#chat-log .message")]

    def idle(d):
        return d.find_element(By.ID, "chat-send").is_enabled()

    def replied(messages):
        """The route's greedy reply, whole: what the page, streaming it at temperature 0, must show."""
        response = client.post("/v1/chat/completions", json={"model": "chat", "messages": messages,
                                                             "temperature": 0})
        assert response.status_code == 200, response.text
        (choice,) = response.json()["choices"]
        return choice["message"]["content"], choice["finish_reason"]

    # Enter sends; the reply comes through the stream; the next turn carries the conversation.
    browser.execute_script("document.getElementById('chat-temperature').value = '0'")
    chat_input.send_keys("good morrow", Keys.ENTER)
    WebDriverWait(browser, 60).until(lambda d: idle(d) and len(log()) == 2)
    turns = [{"role": "user", "content": "good morrow"}]
    first, finish = replied(turns)
    assert log() == [("you", "good morrow"), ("chat", first)] and first
    assert text(browser, "chat-stats").startswith(f"{len(first)} characters in ")
    assert text(browser, "chat-stats").endswith(f"finish_reason {finish}") and text(browser, "chat-error") == ""
    chat_input.send_keys("what news", Keys.SHIFT, Keys.ENTER, Keys.NULL, "on the Rialto", Keys.ENTER)
    WebDriverWait(browser, 60).until(lambda d: idle(d) and len(log()) == 4)
    turns += [{"role": "assistant", "content": first}, {"role": "user", "content": "what news\non the Rialto"}]
    assert log()[2:] == [("you", "what news\non the Rialto"), ("chat", replied(turns)[0])]

    # A refusal is shown as the server words it; the turn is dropped and its text given back.
    browser.execute_script("document.getElementById('chat-temperature').value = '5'")
    chat_input.send_keys("hi", Keys.ENTER)
    WebDriverWait(browser, 60).until(lambda d: idle(d) and text(d, "chat-error"))
    refusal = client.post("/v1/chat/completions", json={"model": "chat", "stream": True, "temperature": 5,
                                                        "messages": turns + [{"role": "user", "content": "hi"}]})
    assert refusal.status_code == 400 and text(browser, "chat-error") == refusal.json()["error"]["message"]
    assert "temperature" in text(browser, "chat-error")
    assert len(log()) == 4 and chat_input.get_attribute("value") == "hi"
    browser.find_element(By.ID, "chat-clear").click()
    assert log() == [] and text(browser, "chat-error") == ""

    # Chunks are shown as they arrive, whatever the boundaries of the reads: a stand-in for the route's stream,
    # fed by the test, checks each step.
    browser.execute_script("""
        const fetchFromServer = window.fetch;
        window.fetch = (url, init) => {
          if (url !== "/v1/chat/completions") return fetchFromServer(url, init);
          window.sent = JSON.parse(init.body);
          const body = new ReadableStream({start(controller) {
            window.feed = (text) => controller.enqueue(new TextEncoder().encode(text));
            window.finish = () => controller.close();
          }});
          return Promise.resolve(new Response(body, {headers: {"Content-Type": "text/event-stream"}}));
        };
        document.getElementById('chat-temperature').value = '0.5';""")
    chat_input.clear()
    chat_input.send_keys("speak", Keys.ENTER)
    WebDriverWait(browser, 10).until(lambda d: d.execute_script("return !!window.feed"))
    assert browser.execute_script("return window.sent") == {
        "model": "chat", "messages": [{"role": "user", "content": "speak"}], "stream": True, "temperature": 0.5}
    feed = "window.feed(arguments[0])"
    browser.execute_script(feed, chunk({"role": "assistant", "content": ""}) + chunk({"content": "SPE"})[:30])
    WebDriverWait(browser, 10).until(lambda d: log() == [("you", "speak"), ("chat", "")])
    browser.execute_script(feed, chunk({"content": "SPE"})[30:] + chunk({"content": "A"})[:-1])
    WebDriverWait(browser, 10).until(lambda d: log()[1] == ("chat", "SPE"))
    assert not idle(browser)  # still streaming
    browser.execute_script(feed, "\n" + chunk({"content": "K"}))
    WebDriverWait(browser, 10).until(lambda d: log()[1] == ("chat", "SPEAK"))
    browser.execute_script(feed, chunk({}, "length") + "data: [DONE]\n\n")
    WebDriverWait(browser, 10).until(idle)
    assert text(browser, "chat-stats").endswith("finish_reason length")
    # The next request carries the streamed reply; an error chunk mid-stream is shown and drops the turn.
    browser.execute_script("window.feed = null")
    chat_input.send_keys("again", Keys.ENTER)
    WebDriverWait(browser, 10).until(lambda d: d.execute_script("return !!window.feed"))
    assert browser.execute_script("return window.sent.messages") == [
        {"role": "user", "content": "speak"}, {"role": "assistant", "content": "SPEAK"},
        {"role": "user", "content": "again"}]
    browser.execute_script(feed, chunk({"role": "assistant", "content": ""}) + chunk({"content": "AG"})
                           + 'data: {"error": {"message": "Deadline exceeded", "type": "timeout_error"}}\n\n')
    WebDriverWait(browser, 10).until(lambda d: idle(d) and text(d, "chat-error"))
    assert text(browser, "chat-error") == "Deadline exceeded" and len(log()) == 2
    # A stream cut before `data: [DONE]` is an error too.
    browser.execute_script("window.feed = null")
    chat_input.clear()
    chat_input.send_keys("once more", Keys.ENTER)
    WebDriverWait(browser, 10).until(lambda d: d.execute_script("return !!window.feed") and len(log()) == 4)
    browser.execute_script(feed + "; window.finish()", chunk({"content": "ONCE"}))
    WebDriverWait(browser, 10).until(lambda d: idle(d) and text(d, "chat-error"))
    assert "ended before" in text(browser, "chat-error") and len(log()) == 2

    # A chat model whose signature takes no temperature: the control is off, and the route's refusal is shown.
    open_model(browser, server, "odd")
    assert not browser.find_element(By.ID, "chat-temperature").is_enabled()
    browser.find_element(By.ID, "chat-input").send_keys("hi", Keys.ENTER)
    WebDriverWait(browser, 60).until(lambda d: text(d, "chat-error"))
    refusal = client.post("/v1/chat/completions", json={"model": "odd", "stream": True,
                                                        "messages": [{"role": "user", "content": "hi"}]})
    assert refusal.status_code == 400 and text(browser, "chat-error") == refusal.json()["error"]["message"]

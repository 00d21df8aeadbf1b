"use strict";
// The playground's shared part: the model list, the panels shown for the model picked, and the text, word2vec,
// seq2seq and ELMo panels. caption.js and chat.js add theirs through `tabs`; index.html calls loadModels().
const $ = (id) => document.getElementById(id);
let models = [], current = null, controller = null;
// Panels in other files: {panel, shows(model) -> bool, select(model)}; select runs on each change of model.
const tabs = [];

async function call(path, body) {
  const response = await fetch(path, {method: "POST", headers: {"Content-Type": "application/json"},
                                      body: JSON.stringify(body)});
  const data = await response.json().catch(() => null);
  if (!response.ok || data === null) throw new Error((data && data.error) || `${response.status} ${response.statusText}`);
  return data;
}

function show() {
  current = models.find((m) => m.name === $("model").value);
  const sigs = current ? current.signatures : {};
  $("generate-panel").hidden = !(current && current.streaming);
  $("neighbours-panel").hidden = !("most_similar" in sigs);
  $("translate-panel").hidden = !("translate" in sigs);
  $("similarity-panel").hidden = !(current && "embed" in sigs && "sentences" in sigs.embed.inputs);
  for (const tab of tabs) {
    tab.panel.hidden = !(current && tab.shows(current));
    tab.select(current);
  }
  $("nothing-panel").hidden = models.length > 0;
  $("model-info").textContent = current ? `version ${current.version} · ${current.family || "SavedModel"} · `
      + Object.keys(sigs).join(", ") : "";
}

async function loadModels() {
  const data = await (await fetch("/v1/models")).json();
  models = data.models;
  $("model").innerHTML = "";
  for (const m of models) {
    const option = document.createElement("option");
    option.value = option.textContent = m.name;
    $("model").appendChild(option);
  }
  show();
}

async function generate() {
  const out = $("output"), stats = $("generate-stats");
  out.textContent = ""; stats.textContent = ""; stats.className = "stats";
  const prompt = document.createElement("span");
  prompt.className = "prompt"; prompt.textContent = $("prompt").value; out.appendChild(prompt);
  const text = document.createTextNode(""); out.appendChild(text);
  const body = {prompt: $("prompt").value, max_length: Number($("length").value),
                temperature: Number($("temperature").value), top_k: Number($("top-k").value),
                top_p: Number($("top-p").value)};
  if ($("seed").value !== "") body.seed = Number($("seed").value);
  controller = new AbortController();
  $("generate").disabled = true; $("stop").disabled = false;
  const started = performance.now();
  let first = null, count = 0;
  try {
    const response = await fetch(`/v1/models/${current.name}:stream`, {method: "POST", body: JSON.stringify(body),
        headers: {"Content-Type": "application/json"}, signal: controller.signal});
    if (!response.ok) throw new Error((await response.json()).error);
    const reader = response.body.getReader(), decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const {value, done} = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, {stream: true});
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end); buffer = buffer.slice(end + 2);
        const kind = (block.match(/^event: (.*)$/m) || [])[1];
        const data = JSON.parse((block.match(/^data: (.*)$/m) || [])[1] || "{}");
        if (kind === "token") {
          if (first === null) first = performance.now() - started;
          text.appendData(data.text); count += 1;
        } else if (kind === "error") {
          throw new Error(data.error);
        }
      }
      const seconds = (performance.now() - started) / 1000;
      stats.textContent = `${count} characters · first after ${(first || 0).toFixed(0)} ms · `
          + `${(count / seconds).toFixed(0)} characters/s`;
    }
  } catch (error) {
    if (error.name !== "AbortError") { stats.className = "error"; stats.textContent = error.message; }
  } finally {
    $("generate").disabled = false; $("stop").disabled = true;
  }
}

async function neighbours() {
  $("neighbours-error").textContent = ""; $("neighbours-table").innerHTML = "";
  try {
    const data = await call(`/v1/models/${current.name}:predict`, {signature_name: "most_similar",
        inputs: {word: $("word").value, topn: Number($("topn").value)}});
    data.outputs.words.forEach((word, i) => {
      const row = $("neighbours-table").insertRow();
      row.insertCell().textContent = word;
      row.insertCell().textContent = data.outputs.scores[i].toFixed(3);
    });
  } catch (error) { $("neighbours-error").textContent = error.message; }
}

async function translate() {
  $("translate-error").textContent = ""; $("target").textContent = ""; $("translate-stats").textContent = "";
  const started = performance.now();
  try {
    const data = await call(`/v1/models/${current.name}:predict`,
        {signature_name: "translate", instances: [$("source").value]});
    $("target").textContent = data.predictions[0];
    // A model may answer with an empty string; this line says the answer came, either way.
    $("translate-stats").textContent = `${data.predictions[0].length} characters in `
        + `${(performance.now() - started).toFixed(0)} ms`;
  } catch (error) { $("translate-error").textContent = error.message; }
}

function cosine(a, b) {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
  return dot / Math.sqrt(na * nb);
}

async function similarity() {
  const word = $("elmo-word").value.trim(), sentences = [$("sentence-1").value, $("sentence-2").value];
  const result = $("similarity-result");
  result.textContent = "";
  try {
    const positions = sentences.map((s) => s.trim().split(/\s+/).indexOf(word));
    if (positions.includes(-1)) throw new Error(`"${word}" must be a word of both sentences`);
    const data = await call(`/v1/models/${current.name}:predict`,
        {signature_name: "embed", inputs: {sentences: sentences}});
    const vectors = positions.map((p, i) => data.outputs.elmo[i][p]);
    result.textContent = `cosine similarity of "${word}" in the two sentences: ${cosine(...vectors).toFixed(4)}`;
  } catch (error) { result.textContent = error.message; }
}

$("model").addEventListener("change", show);
$("generate").addEventListener("click", generate);
$("stop").addEventListener("click", () => controller && controller.abort());
$("neighbours").addEventListener("click", neighbours);
$("translate").addEventListener("click", translate);
$("similarity").addEventListener("click", similarity);

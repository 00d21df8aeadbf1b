"use strict";
// The chat panel, for models with a `chat` signature: the conversation goes to the OpenAI-compatible
// POST /v1/chat/completions with `stream: true`, and the reply grows as its `data:` chunks arrive.

// The conversation sent with each request: OpenAI's messages, oldest first.
let conversation = [], chatController = null;

function chatBubble(role, text) {
  const bubble = document.createElement("div"), who = document.createElement("b");
  bubble.className = `message ${role}`;
  who.textContent = role === "user" ? "you" : current.name;
  const content = document.createElement("span");
  content.className = "content"; content.textContent = text;
  bubble.append(who, content);
  $("chat-log").appendChild(bubble);
  return bubble;
}

// Calls `onData` with each `data:` payload of a Server-Sent Events body, whatever the reads' boundaries, until it
// returns false (then answers true) or the body ends (false).
async function readEvents(response, onData) {
  const reader = response.body.getReader(), decoder = new TextDecoder();
  let buffer = "";
  try {
    for (;;) {
      const {value, done} = await reader.read();
      if (done) return false;
      buffer += decoder.decode(value, {stream: true});
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        for (const line of block.split("\n")) {
          if (line.startsWith("data: ") && onData(line.slice(6)) === false) return true;
        }
      }
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

function takesTemperature(model) {
  return !!model && "chat" in model.signatures && "temperature" in model.signatures.chat.inputs;
}

async function sendChat() {
  const input = $("chat-input"), text = input.value;
  if (!text.trim() || chatController) return;
  const messages = [...conversation, {role: "user", content: text}];
  const body = {model: current.name, messages: messages, stream: true};
  if (takesTemperature(current)) body.temperature = Number($("chat-temperature").value);
  $("chat-error").textContent = ""; $("chat-stats").textContent = "";
  const asked = chatBubble("user", text), answer = chatBubble("assistant", "");
  const reply = answer.querySelector(".content");
  input.value = "";
  chatController = new AbortController();
  $("chat-send").disabled = true; $("chat-stop").disabled = false;
  const started = performance.now();
  let finish = null;
  try {
    const response = await fetch("/v1/chat/completions", {method: "POST", body: JSON.stringify(body),
        headers: {"Content-Type": "application/json"}, signal: chatController.signal});
    if (!response.ok) {
      const refusal = await response.json().catch(() => null);
      throw new Error(refusal && refusal.error ? refusal.error.message : `${response.status} ${response.statusText}`);
    }
    const ended = await readEvents(response, (data) => {
      if (data === "[DONE]") return false;
      const chunk = JSON.parse(data);
      if (chunk.error) throw new Error(chunk.error.message);  // the server's error past the first byte
      const choice = chunk.choices[0];
      if (choice.delta.content) reply.textContent += choice.delta.content;
      if (choice.finish_reason) finish = choice.finish_reason;
    });
    if (!ended) throw new Error("The reply's stream ended before `data: [DONE]`.");
    conversation = [...messages, {role: "assistant", content: reply.textContent}];
    $("chat-stats").textContent = `${reply.textContent.length} characters in `
        + `${(performance.now() - started).toFixed(0)} ms` + (finish ? ` · finish_reason ${finish}` : "");
  } catch (error) {
    // The turn did not happen: the log keeps only what the conversation holds, and the text goes back to be resent.
    asked.remove(); answer.remove();
    input.value = text;
    if (error.name !== "AbortError") $("chat-error").textContent = error.message;
  } finally {
    chatController = null;
    $("chat-send").disabled = false; $("chat-stop").disabled = true;
  }
}

function clearChat() {
  if (chatController) chatController.abort();
  conversation = [];
  $("chat-log").innerHTML = ""; $("chat-error").textContent = ""; $("chat-stats").textContent = "";
}

function selectChatModel(model) {
  clearChat();  // a conversation belongs to the model it was held with
  const takes = takesTemperature(model);
  $("chat-temperature").disabled = !takes;
  $("chat-temperature").title = takes ? "" : "this model's chat signature takes no temperature";
}

$("chat-input").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    sendChat();
  }
});
$("chat-send").addEventListener("click", sendChat);
$("chat-stop").addEventListener("click", () => chatController && chatController.abort());
$("chat-clear").addEventListener("click", clearChat);
tabs.push({panel: $("chat-panel"), shows: (model) => "chat" in model.signatures, select: selectChatModel});

"use strict";
// The playground streams POST /api/chat; the live view follows GET /api/live.
// Text from people and the model is only ever set as textContent.

const $ = (id) => document.getElementById(id);

// -- tabs
for (const tab of document.querySelectorAll('[role="tab"]')) {
  tab.addEventListener("click", () => {
    for (const other of document.querySelectorAll('[role="tab"]')) {
      const selected = other === tab;
      other.setAttribute("aria-selected", String(selected));
      $(other.getAttribute("aria-controls")).hidden = !selected;
    }
  });
}

// -- Server-Sent Events over fetch (a POST body; EventSource only does GET)
async function* events(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let name = "message", data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) name = line.slice(7);
        else if (line.startsWith("data: ")) data += line.slice(6);
      }
      if (data) yield { name, data: JSON.parse(data) };
    }
  }
}

function latency(f) {
  const parts = [];
  if (f.model) parts.push(f.model);
  if (f.first_token_s != null) parts.push(`first token ${f.first_token_s.toFixed(2)} s`);
  parts.push(`total ${f.total_s.toFixed(2)} s`);
  if (f.output_tokens) parts.push(`${f.tokens_estimated ? "~" : ""}${f.output_tokens} tokens`);
  if (f.tokens_per_s) parts.push(`${Math.round(f.tokens_per_s)} tok/s`);
  return parts.join(" · ");
}

const ENDINGS = {
  incomplete: "✂️ Cut off", stopped: "⏹️ Stopped", shutdown: "⏸️ Interrupted by a restart",
  failed: "❌ Failed", error: "❌ Error", interrupted: "⚠️ Interrupted",
};

function endingText(f) {
  if (f.ending === "completed") return "";
  const head = ENDINGS[f.ending] || f.ending;
  const why = f.message || f.detail;
  return why ? `${head}: ${why}` : head;
}

// -- playground
let controller = null;

function numberField(id, body) {
  const raw = $(id).value.trim();
  if (raw !== "") body[id] = Number(raw);
}

async function send(event) {
  event.preventDefault();
  if (controller) return;
  const body = { prompt: $("prompt").value };
  for (const id of ["model", "system"]) {
    const value = $(id).value.trim();
    if (value) body[id] = value;
  }
  numberField("temperature", body);
  numberField("top_p", body);
  numberField("max_output_tokens", body);

  const reply = $("reply"), footer = $("footer"), ending = $("ending");
  reply.textContent = ""; footer.textContent = ""; ending.hidden = true;
  $("answer").hidden = false;
  $("answer").dataset.state = "streaming";
  $("state").textContent = "Waiting for the model…";
  $("send").disabled = true; $("stop").disabled = false;
  controller = new AbortController();
  try {
    const response = await fetch("api/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify(body),
      signal: controller.signal,
    });
    if (response.status === 401) throw new Error("This server wants its token: open /?token=…");
    for await (const { name, data } of events(response)) {
      if (name === "start") $("state").textContent = `Streaming from ${data.model}…`;
      else if (name === "delta") reply.textContent += data.text;
      else if (name === "done" || name === "error") {
        const text = endingText(data);
        ending.textContent = text; ending.hidden = !text;
        ending.className = name === "error" ? "ending failed" : "ending";
        if (data.total_s != null) footer.textContent = latency(data);
        $("answer").dataset.state = name;
      }
    }
  } catch (err) {
    if (err.name !== "AbortError") {
      ending.textContent = `❌ ${err.message}`; ending.hidden = false; ending.className = "ending failed";
      $("answer").dataset.state = "error";
    } else {
      $("answer").dataset.state = "done";
    }
  } finally {
    controller = null;
    $("state").textContent = "";
    $("send").disabled = false; $("stop").disabled = true;
  }
}

$("chat-form").addEventListener("submit", send);
$("prompt").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) $("chat-form").requestSubmit();
});
$("stop").addEventListener("click", () => {
  if (controller) {
    controller.abort();
    const ending = $("ending");
    ending.textContent = ENDINGS.stopped; ending.hidden = false; ending.className = "ending";
  }
});

fetch("api/models").then((r) => (r.ok ? r.json() : null)).then((data) => {
  if (!data) return;
  $("model").placeholder = data.default;
  for (const name of data.models) {
    const option = document.createElement("option");
    option.value = name;
    $("models").append(option);
  }
}).catch(() => {});

// -- live view
const cards = new Map();

function where(r) {
  const w = r.where || {};
  if (r.trigger === "http") return "HTTP API";
  if (r.trigger === "terminal") return "terminal";
  if (w.guild_id == null && w.channel_id != null) return `DM ${w.channel_id}`;
  const place = [];
  if (w.guild_id != null) place.push(`server ${w.guild_id}`);
  if (w.channel_id != null) place.push(`channel ${w.channel_id}`);
  return place.join(" · ") || "Discord";
}

function card(r) {
  const node = document.createElement("article");
  node.className = "card";
  node.dataset.id = r.id;
  const meta = document.createElement("div");
  meta.className = "meta";
  meta.textContent = `${r.trigger} · ${where(r)} · ${r.model} · ${new Date(r.started_at * 1000).toLocaleTimeString()}`;
  const prompt = document.createElement("div");
  prompt.className = "prompt";
  prompt.textContent = r.prompt;
  const text = document.createElement("pre");
  text.className = "text";
  text.textContent = r.text;
  const ending = document.createElement("p");
  ending.className = "ending";
  ending.hidden = true;
  const footer = document.createElement("p");
  footer.className = "footer";
  node.append(meta, prompt, text, ending, footer);
  cards.set(r.id, node);
  return node;
}

function finish(node, r) {
  node.classList.remove("streaming");
  node.querySelector(".text").textContent = r.text;
  const text = endingText(r.final);
  const ending = node.querySelector(".ending");
  ending.textContent = text; ending.hidden = !text;
  node.querySelector(".footer").textContent = latency(r.final);
  node.dataset.state = "finished";
}

function counts() {
  const n = $("live-list").children.length;
  $("live-empty").hidden = n > 0;
  $("live-count").textContent = n ? String(n) : "";
}

function started(r) {
  const node = card(r);
  node.classList.add("streaming");
  node.dataset.state = "streaming";
  $("live-list").prepend(node);
}

function finished(r) {
  let node = cards.get(r.id);
  if (!node) node = card(r);
  finish(node, r);
  $("live-recent").prepend(node);
  while ($("live-recent").children.length > 20) {
    const last = $("live-recent").lastElementChild;
    cards.delete(last.dataset.id);
    last.remove();
  }
}

function follow() {
  const source = new EventSource("api/live");
  source.addEventListener("open", () => { $("live-state").textContent = "Following the bot's replies as they stream."; });
  source.addEventListener("error", () => { $("live-state").textContent = "Disconnected; reconnecting…"; });
  source.addEventListener("snapshot", (e) => {
    const data = JSON.parse(e.data);
    cards.clear();
    $("live-list").replaceChildren();
    $("live-recent").replaceChildren();
    for (const r of data.recent) finished(r);
    for (const r of data.in_flight) started(r);
    counts();
  });
  source.addEventListener("started", (e) => { started(JSON.parse(e.data)); counts(); });
  source.addEventListener("text", (e) => {
    const data = JSON.parse(e.data);
    const node = cards.get(data.id);
    if (node) node.querySelector(".text").textContent += data.text;
  });
  source.addEventListener("finished", (e) => { finished(JSON.parse(e.data)); counts(); });
}
follow();

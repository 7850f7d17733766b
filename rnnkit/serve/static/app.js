// The rnnkit playground: talks to this server's own API, fetches nothing from elsewhere.
const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg"; // the SVG namespace's name (nothing is fetched)
let models = [];
let running = null; // the AbortController of the generation in progress

function headers() {
  const key = sessionStorage.getItem("rnnkit-key");
  const h = { "Content-Type": "application/json" };
  if (key) h.Authorization = `Bearer ${key}`;
  return h;
}

function showError(message) {
  $("error").textContent = message || "";
}

async function call(path, body) {
  const response = await fetch(path, {
    method: body === undefined ? "GET" : "POST",
    headers: headers(),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) {
    const detail = await response.json().catch(() => ({}));
    throw new Error(detail.error ? detail.error.message : `HTTP ${response.status}`);
  }
  return response;
}

// ---------------------------------------------------------------------------- models
async function connect() {
  sessionStorage.setItem("rnnkit-key", $("api-key").value);
  showError("");
  try {
    models = (await (await call("/v1/models")).json()).data;
    $("connection").textContent = `${models.length} model(s)`;
  } catch (err) {
    $("connection").textContent = "";
    showError(err.message);
    return;
  }
  for (const select of document.querySelectorAll("select[data-kinds]")) {
    const kinds = select.dataset.kinds.split(" ");
    select.replaceChildren(
      ...models.filter((m) => kinds.includes(m.kind)).map((m) => new Option(m.id, m.id)),
    );
  }
  showStyles();
}

function showStyles() {
  const model = models.find((m) => m.id === $("model").value);
  const styles = (model && model.styles) || [];
  $("style-row").hidden = styles.length === 0;
  $("style").replaceChildren(new Option("(none)", ""), ...styles.map((s) => new Option(s, s)));
}

// ---------------------------------------------------------------------------- generate
function tint(p) {
  // Likely characters stay pale; unlikely ones turn red.
  return `hsla(${Math.round(120 * p)}, 80%, 60%, ${(0.55 * (1 - p) + 0.08).toFixed(2)})`;
}

function addTokens(output, logprobs) {
  logprobs.tokens.forEach((token, i) => {
    const span = document.createElement("span");
    const p = Math.exp(logprobs.token_logprobs[i]);
    span.textContent = token;
    span.style.background = tint(p);
    const top = Object.entries(logprobs.top_logprobs[i] || {})
      .map(([t, lp]) => `${JSON.stringify(t)} ${Math.exp(lp).toFixed(3)}`)
      .join("\n");
    span.title = `p = ${p.toFixed(3)}\n${top}`;
    output.append(span);
  });
}

function setStatus(state, text) {
  $("status").dataset.state = state;
  $("status").textContent = text;
}

async function generate() {
  showError("");
  const output = $("output");
  output.replaceChildren();
  output.dataset.text = "";
  const body = {
    model: $("model").value,
    prompt: $("prompt").value,
    max_tokens: Number($("length").value),
    temperature: Number($("temperature").value),
    top_k: Number($("top_k").value),
    top_p: Number($("top_p").value),
    logprobs: 5,
    stream: true,
  };
  if ($("seed").value !== "") body.seed = Number($("seed").value);
  if (!$("style-row").hidden && $("style").value) body.style = $("style").value;
  running = new AbortController();
  $("generate").disabled = true;
  $("stop").disabled = false;
  setStatus("running", "…");
  const started = performance.now();
  let text = "";
  try {
    const response = await fetch("/v1/completions", {
      method: "POST",
      headers: headers(),
      body: JSON.stringify(body),
      signal: running.signal,
    });
    if (!response.ok) {
      const detail = await response.json().catch(() => ({}));
      throw new Error(detail.error ? detail.error.message : `HTTP ${response.status}`);
    }
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      const events = buffer.split("\n\n");
      buffer = events.pop();
      for (const event of events) {
        const data = event.replace(/^data: /, "");
        if (data === "[DONE]") continue;
        const chunk = JSON.parse(data);
        if (chunk.error) throw new Error(chunk.error.message);
        $("seed").placeholder = `random (last: ${chunk.seed})`;
        const choice = chunk.choices[0];
        if (choice.logprobs) addTokens(output, choice.logprobs);
        else output.append(choice.text);
        text += choice.text;
        output.dataset.text = text;
        const seconds = (performance.now() - started) / 1000;
        setStatus("running", `${Math.round(text.length / seconds)} chars/s · seed ${chunk.seed}`);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    setStatus("done", `${text.length} chars, ${Math.round(text.length / seconds)} chars/s`);
  } catch (err) {
    if (err.name === "AbortError") setStatus("stopped", `stopped after ${text.length} chars`);
    else {
      setStatus("error", "");
      showError(err.message);
    }
  } finally {
    running = null;
    $("generate").disabled = false;
    $("stop").disabled = true;
  }
}

// ---------------------------------------------------------------------------- other kinds
async function classify() {
  showError("");
  try {
    const body = { model: $("classify-model").value, input: $("classify-text").value };
    const result = (await (await call("/v1/classify", body)).json()).data[0];
    $("classify-bars").replaceChildren(
      ...Object.entries(result.probabilities)
        .sort((a, b) => b[1] - a[1])
        .map(([label, p]) => {
          const row = document.createElement("div");
          row.className = "bar";
          row.innerHTML = `<span class="label"></span><span class="fill"></span><span></span>`;
          row.children[0].textContent = label;
          row.children[1].style.width = `${Math.round(300 * p)}px`;
          row.children[2].textContent = p.toFixed(3);
          return row;
        }),
    );
    const weights = Object.fromEntries(result.attention || []);
    const top = Math.max(...Object.values(weights), 1e-9);
    $("classify-words").replaceChildren(
      ...body.input.split(/(\s+)/).map((word) => {
        const span = document.createElement("span");
        span.textContent = word;
        const w = weights[word] || weights[word.toLowerCase()];
        if (w) span.style.background = `rgba(51, 103, 214, ${(0.6 * w) / top})`;
        return span;
      }),
    );
  } catch (err) {
    showError(err.message);
  }
}

async function neighbors(positive, negative) {
  showError("");
  try {
    const body = { model: $("neighbors-model").value, positive, negative, topn: 10 };
    const found = (await (await call("/v1/neighbors", body)).json()).data;
    $("neighbors-list").replaceChildren(
      ...found.map((n) => {
        const item = document.createElement("li");
        item.textContent = `${n.word} (${n.similarity.toFixed(3)})`;
        return item;
      }),
    );
  } catch (err) {
    showError(err.message);
  }
}

function line(points, color) {
  const path = document.createElementNS(SVG, "polyline");
  path.setAttribute("points", points.map(([x, y]) => `${x},${y}`).join(" "));
  path.setAttribute("fill", "none");
  path.setAttribute("stroke", color);
  path.setAttribute("stroke-width", "2");
  return path;
}

async function forecast() {
  showError("");
  try {
    const body = { model: $("forecast-model").value, level: Number($("level").value) };
    if ($("horizon").value) body.horizon = Number($("horizon").value);
    const result = await (await call("/v1/forecast", body)).json();
    const values = [
      ...result.history.map((p) => p.value),
      ...result.data.flatMap((p) => [p.lower, p.upper]),
    ];
    const [lo, hi] = [Math.min(...values), Math.max(...values)];
    const n = result.history.length + result.data.length;
    const x = (i) => 20 + (760 * i) / Math.max(n - 1, 1);
    const y = (v) => 280 - (260 * (v - lo)) / (hi - lo || 1);
    const h = result.history.length;
    const band = document.createElementNS(SVG, "polygon");
    const upper = result.data.map((p, i) => [x(h + i), y(p.upper)]);
    const lower = result.data.map((p, i) => [x(h + i), y(p.lower)]).reverse();
    band.setAttribute("points", [...upper, ...lower].map(([a, b]) => `${a},${b}`).join(" "));
    band.setAttribute("fill", "rgba(51, 103, 214, 0.2)");
    $("forecast-plot").replaceChildren(
      band,
      line(result.history.map((p, i) => [x(i), y(p.value)]), "#222"),
      line(result.data.map((p, i) => [x(h + i), y(p.forecast)]), "#3367d6"),
    );
  } catch (err) {
    showError(err.message);
  }
}

// ---------------------------------------------------------------------------- wiring
for (const tab of document.querySelectorAll("[role=tab]")) {
  tab.addEventListener("click", () => {
    for (const other of document.querySelectorAll("[role=tab]")) {
      other.setAttribute("aria-selected", String(other === tab));
      $(`tab-${other.dataset.tab}`).hidden = other !== tab;
    }
  });
}
for (const slider of document.querySelectorAll("input[type=range]")) {
  const shown = document.querySelector(`output[for=${slider.id}]`);
  const update = () => {
    shown.textContent = slider.value;
  };
  slider.addEventListener("input", update);
  update();
}
$("api-key").value = sessionStorage.getItem("rnnkit-key") || "";
$("connect").addEventListener("click", connect);
$("model").addEventListener("change", showStyles);
$("generate").addEventListener("click", generate);
$("stop").addEventListener("click", () => running && running.abort());
$("classify").addEventListener("click", classify);
$("neighbors").addEventListener("click", () => neighbors([$("word").value], []));
$("analogy").addEventListener("click", () =>
  neighbors([$("analogy-b").value, $("analogy-c").value], [$("analogy-a").value]),
);
$("forecast").addEventListener("click", forecast);
connect();

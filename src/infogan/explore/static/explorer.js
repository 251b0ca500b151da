// The explorer page: sliders and buttons set the codes; the image follows. Only one request
// is in flight at a time and only the newest settings are sent after it (latest value wins).
"use strict";

const state = { info: null, seed: 0, codes: {}, busy: false, pending: false, lastPng: null };
const $ = (id) => document.getElementById(id);

async function api(path, options) {
  const response = await fetch(path, options);
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

function showError(message) { $("error").textContent = message || ""; }

function request() {
  const gridMode = $("grid-mode").checked;
  if (gridMode) return ["/api/grid", { seed: state.seed, code: $("grid-code").value }];
  return ["/api/generate", { seed: state.seed, codes: state.codes }];
}

async function refresh() {
  if (state.busy) { state.pending = true; return; }
  state.busy = true;
  try {
    do {
      state.pending = false;
      const [path, body] = request();
      const answer = await api(path, { method: "POST", body: JSON.stringify(body) });
      state.lastPng = answer.png;
      const url = "data:image/png;base64," + answer.png;
      $("image").src = url;
      $("download").href = url;
      $("timing").textContent = `${answer.ms.toFixed(1)} ms on the server`;
      showError("");
    } while (state.pending);
  } catch (error) {
    showError(error.message);
  } finally {
    state.busy = false;
  }
}

function marks(low, high, min, max) {
  const at = (value) => `${(100 * (value - min)) / (max - min)}%`;
  return `<div class="prior-marks"><span style="left:${at(low)}">|${low}</span>` +
         `<span style="left:${at(high)}">${high}|</span></div>`;
}

function continuousControl(code) {
  const [low, high] = code.prior;
  const span = high - low;
  const min = low - span / 2, max = high + span / 2;  // the prior's range, and beyond it
  state.codes[code.name] = (low + high) / 2;
  const box = document.createElement("div");
  box.className = "code";
  box.innerHTML = `<div><span class="label">${code.name}</span> <span class="controls-text">${code.controls}</span>
    = <output id="value-${code.name}">${state.codes[code.name].toFixed(2)}</output></div>
    <input type="range" id="slider-${code.name}" min="${min}" max="${max}" step="${span / 100}"
      value="${state.codes[code.name]}" aria-label="${code.name}">${marks(low, high, min, max)}`;
  box.querySelector("input").addEventListener("input", (event) => {
    state.codes[code.name] = Number(event.target.value);
    $(`value-${code.name}`).textContent = state.codes[code.name].toFixed(2);
    refresh();
  });
  return box;
}

function categoricalControl(code) {
  state.codes[code.name] = 0;
  const box = document.createElement("div");
  box.className = "code";
  box.innerHTML = `<div><span class="label">${code.name}</span> <span class="controls-text">${code.controls}</span></div>`;
  const row = document.createElement("div");
  row.className = "categories";
  row.id = `categories-${code.name}`;
  for (let category = 0; category < code.categories; category++) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = category;
    button.dataset.category = category;
    button.addEventListener("click", () => selectCategory(code.name, category));
    row.appendChild(button);
  }
  box.appendChild(row);
  return box;
}

function selectCategory(name, category, redraw = true) {
  state.codes[name] = category;
  for (const button of $(`categories-${name}`).children) {
    button.classList.toggle("selected", Number(button.dataset.category) === category);
  }
  if (redraw) refresh();
}

function setContinuous(name, value) {
  const slider = $(`slider-${name}`);
  slider.value = value;
  state.codes[name] = Number(slider.value);
  $(`value-${name}`).textContent = state.codes[name].toFixed(2);
}

function showPosterior(answer, png) {
  const encoded = $("encoded");
  if (png) { encoded.src = "data:image/png;base64," + png; encoded.style.display = "block"; }
  const parts = [];
  for (const code of state.info.codes) {
    const posterior = answer.codes[code.name];
    if (code.kind === "categorical") {
      const probabilities = posterior.probabilities;
      const best = probabilities.indexOf(Math.max(...probabilities));
      parts.push(`<div><b>${code.name}</b>: category ${best}</div>` + probabilities.map((p, k) =>
        `<div class="bar">${k}<span class="fill" style="width:${(150 * p).toFixed(1)}px"></span>${p.toFixed(2)}</div>`
      ).join(""));
      selectCategory(code.name, best, false);
    } else {
      parts.push(`<div><b>${code.name}</b>: mean ${posterior.mean.toFixed(3)}, std ${posterior.std.toFixed(3)}</div>`);
      setContinuous(code.name, posterior.mean);
    }
  }
  $("posterior").innerHTML = parts.join("");
  refresh();  // the image regenerated from Q's estimate of its codes
}

async function encodeFile(file) {
  try {
    const answer = await api("/api/encode", { method: "POST", body: file });
    const reader = new FileReader();
    reader.onload = () => showPosterior(answer, reader.result.split(",")[1]);
    reader.readAsDataURL(file);
  } catch (error) {
    showError(error.message);
  }
}

async function start() {
  state.info = await api("/api/info");
  const info = state.info;
  $("run-name").textContent = info.name;
  $("run-meta").textContent = `step ${info.step}, ${info.architecture} networks, ` +
    `${info.image.size}x${info.image.size} ${info.image.channels === 1 ? "grey" : "RGB"}`;
  const controls = $("code-controls");
  for (const code of info.codes) {
    controls.appendChild(code.kind === "categorical" ? categoricalControl(code) : continuousControl(code));
    $("grid-code").appendChild(new Option(code.name, code.name));
  }
  for (const code of info.codes) if (code.kind === "categorical") selectCategory(code.name, 0, false);
  $("seed").addEventListener("change", () => { state.seed = Math.max(0, Number($("seed").value) || 0); refresh(); });
  $("new-noise").addEventListener("click", () => {
    state.seed = Math.floor(Math.random() * 1e9);
    $("seed").value = state.seed;
    refresh();
  });
  $("grid-mode").addEventListener("change", refresh);
  $("grid-code").addEventListener("change", () => { if ($("grid-mode").checked) refresh(); });
  $("upload").addEventListener("change", (event) => { if (event.target.files[0]) encodeFile(event.target.files[0]); });
  const drop = $("drop");
  drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    if (event.dataTransfer.files[0]) encodeFile(event.dataTransfer.files[0]);
  });
  if (!info.encode) { $("encoder").style.display = "none"; }
  $("test-image").addEventListener("click", async () => {
    try {
      const index = Math.floor(Math.random() * 1000);
      const answer = await api(`/api/test-image/${index}`);
      showPosterior(answer, answer.png);
    } catch (error) {
      showError(error.message);
    }
  });
  await refresh();
  document.body.dataset.ready = "true";
}

start().catch((error) => showError(error.message));

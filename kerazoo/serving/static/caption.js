"use strict";
// The caption panel, for models with a `caption` signature (kerazoo/models/captioner/captioner_export.py): draw
// shapes on a canvas or upload a PNG or JPEG, caption it through `:predict` (the bytes travel as {"b64": ...}),
// and hover or focus a word to lay its attention map over the image.

// The scene generator's colours and shapes (kerazoo/models/captioner/captioner_scenes.py, COLOURS and SHAPES),
// so a drawing looks like the scenes the captioner learnt from.
const PALETTE = {red: [215, 35, 35], green: [35, 165, 55], blue: [40, 75, 225], yellow: [240, 215, 35],
                 purple: [140, 55, 185], orange: [245, 135, 25]};
const TOOLS = ["circle", "square", "triangle", "diamond", "cross", "brush"];
// The heatmap's colour, and its opacity (0-255) where a word's attention peaks.
const HEAT = [255, 30, 0], HEAT_ALPHA = 170;

const easel = {colour: "red", tool: "circle", stroke: null};
// The bytes of an uploaded file, sent as they are; null once the canvas is drawn on (then the canvas is sent).
let uploaded = null;
// The attention maps of the caption shown, one per word: [word][row][column].
let attention = [];

function paintContext() { return $("drawing").getContext("2d"); }

function clearDrawing() {
  const context = paintContext();
  context.fillStyle = "#fff";
  context.fillRect(0, 0, $("drawing").width, $("drawing").height);
  uploaded = null;
  $("image-file").value = "";
}

// A shape of diameter `size` centred on (x, y), as captioner_scenes.shape_mask draws it.
function stamp(shape, x, y, size) {
  const context = paintContext(), r = size / 2;
  context.fillStyle = `rgb(${PALETTE[easel.colour].join(",")})`;
  context.beginPath();
  if (shape === "circle") {
    context.arc(x, y, r, 0, 2 * Math.PI);
  } else if (shape === "square") {
    context.rect(x - 0.9 * r, y - 0.9 * r, 1.8 * r, 1.8 * r);
  } else if (shape === "diamond") {
    context.moveTo(x, y - r); context.lineTo(x + r, y); context.lineTo(x, y + r); context.lineTo(x - r, y);
  } else if (shape === "cross") {
    const arm = 0.36 * r;
    context.rect(x - arm, y - r, 2 * arm, 2 * r);
    context.rect(x - r, y - arm, 2 * r, 2 * arm);
  } else if (shape === "triangle") {  // apex up, the base at 0.75 r below the centre
    context.moveTo(x, y - r); context.lineTo(x + r, y + 0.75 * r); context.lineTo(x - r, y + 0.75 * r);
  }
  context.closePath();
  context.fill();
}

function brushTo(x, y) {
  const context = paintContext(), [x0, y0] = easel.stroke;
  context.strokeStyle = `rgb(${PALETTE[easel.colour].join(",")})`;
  context.lineWidth = Math.max(2, Number($("shape-size").value) / 6);
  context.lineCap = context.lineJoin = "round";
  context.beginPath(); context.moveTo(x0, y0); context.lineTo(x, y); context.stroke();
  easel.stroke = [x, y];
}

function canvasPoint(event) {
  const canvas = $("drawing");
  return [event.offsetX * canvas.width / canvas.clientWidth, event.offsetY * canvas.height / canvas.clientHeight];
}

function pointerDown(event) {
  const [x, y] = canvasPoint(event);
  uploaded = null;  // the picture is now the canvas
  $("image-file").value = "";
  if (easel.tool === "brush") {
    easel.stroke = [x, y];
    $("drawing").setPointerCapture(event.pointerId);
    brushTo(x, y);
  } else {
    stamp(easel.tool, x, y, Number($("shape-size").value));
  }
}

function pick(group, attribute, value) {
  for (const button of $(group).children) button.setAttribute("aria-pressed", button.dataset[attribute] === value);
}

async function upload() {
  const file = $("image-file").files[0];
  if (!file) return;
  const bytes = new Uint8Array(await file.arrayBuffer());
  clearDrawing();
  uploaded = bytes;
  let shown = true;
  try {
    // Stretched to the square, as the model resizes it: the attention grid then lies over the picture.
    const bitmap = await createImageBitmap(file);
    paintContext().drawImage(bitmap, 0, 0, $("drawing").width, $("drawing").height);
  } catch (error) {
    shown = false;  // the server still gets the bytes, and says what is wrong with them
  }
  $("caption-stats").textContent = `${file.name}: ${bytes.length} bytes, sent as they are`
      + (shown ? "" : " (this browser cannot show it)");
}

function base64(bytes) {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

function clearHeatmap() {
  const canvas = $("heatmap");
  canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
  for (const word of $("caption-words").children) word.classList.remove("active");
}

// Word t's attention over the image: the grid upsampled bilinearly (cell centres at (i + 1/2) of a cell, edges
// held), its peak at HEAT_ALPHA opacity.
function showAttention(t) {
  clearHeatmap();
  const map = attention[t], rows = map.length, columns = map[0].length;
  const peak = Math.max(...map.flat());
  $("caption-words").children[t].classList.add("active");
  if (!(peak > 0)) return;
  const canvas = $("heatmap"), width = canvas.width, height = canvas.height;
  const context = canvas.getContext("2d"), image = context.createImageData(width, height);
  const axis = (pixel, pixels, cells) => {
    const g = Math.min(Math.max((pixel + 0.5) * cells / pixels - 0.5, 0), cells - 1), low = Math.floor(g);
    return [low, Math.min(low + 1, cells - 1), g - low];
  };
  for (let py = 0; py < height; py++) {
    const [y0, y1, fy] = axis(py, height, rows);
    for (let px = 0; px < width; px++) {
      const [x0, x1, fx] = axis(px, width, columns);
      const value = (map[y0][x0] * (1 - fx) + map[y0][x1] * fx) * (1 - fy)
          + (map[y1][x0] * (1 - fx) + map[y1][x1] * fx) * fy;
      image.data.set([...HEAT, Math.round(HEAT_ALPHA * value / peak)], 4 * (py * width + px));
    }
  }
  context.putImageData(image, 0, 0);
}

async function captionImage() {
  const words = $("caption-words"), stats = $("caption-stats"), error = $("caption-error");
  words.innerHTML = ""; error.textContent = ""; stats.textContent = ""; attention = [];
  clearHeatmap();
  const image = uploaded ? base64(uploaded) : $("drawing").toDataURL("image/png").split(",")[1];
  const signature = $("caption-search").value;
  const started = performance.now();
  $("caption").disabled = true;
  try {
    const data = await call(`/v1/models/${current.name}:predict`,
        {signature_name: signature, inputs: {image: [{b64: image}]}});
    // `words` is padded with "" past the caption's end, where the maps are zero.
    const shown = data.outputs.words[0].filter((word) => word !== "");
    attention = data.outputs.attention[0].slice(0, shown.length);
    shown.forEach((word, t) => {
      if (t > 0) words.appendChild(document.createTextNode(" "));
      const span = document.createElement("span");
      span.textContent = word; span.tabIndex = 0;
      for (const kind of ["mouseenter", "focus"]) span.addEventListener(kind, () => showAttention(t));
      for (const kind of ["mouseleave", "blur"]) span.addEventListener(kind, clearHeatmap);
      words.appendChild(span);
    });
    stats.textContent = `${shown.length} words (${signature === "caption" ? "greedy" : "beam search"}) in `
        + `${(performance.now() - started).toFixed(0)} ms` + (shown.length ? "; hover a word for its attention" : "");
  } catch (caught) { error.textContent = caught.message; } finally { $("caption").disabled = false; }
}

function selectCaptionModel(model) {
  const beam = !!model && "caption_beam" in model.signatures;
  $("caption-search").querySelector("[value=caption_beam]").disabled = !beam;
  if (!beam) $("caption-search").value = "caption";
  $("caption-words").innerHTML = ""; $("caption-stats").textContent = ""; $("caption-error").textContent = "";
  attention = [];
  clearHeatmap();
}

for (const [name, rgb] of Object.entries(PALETTE)) {
  const button = document.createElement("button");
  button.className = "swatch"; button.title = name; button.setAttribute("aria-label", name);
  button.dataset.colour = name; button.dataset.rgb = rgb.join(",");
  button.style.background = `rgb(${rgb.join(",")})`;
  button.addEventListener("click", () => { easel.colour = name; pick("colours", "colour", name); });
  $("colours").appendChild(button);
}
for (const tool of TOOLS) {
  const button = document.createElement("button");
  button.textContent = tool; button.dataset.tool = tool;
  button.addEventListener("click", () => { easel.tool = tool; pick("shapes", "tool", tool); });
  $("shapes").appendChild(button);
}
pick("colours", "colour", easel.colour);
pick("shapes", "tool", easel.tool);
const showSize = () => { $("shape-size-value").textContent = `${$("shape-size").value} px`; };
$("shape-size").addEventListener("input", showSize);
showSize();
clearDrawing();
$("drawing").addEventListener("pointerdown", pointerDown);
$("drawing").addEventListener("pointermove", (event) => easel.stroke && brushTo(...canvasPoint(event)));
for (const kind of ["pointerup", "pointercancel"]) $("drawing").addEventListener(kind, () => { easel.stroke = null; });
$("clear-drawing").addEventListener("click", () => { clearDrawing(); $("caption-stats").textContent = ""; });
$("image-file").addEventListener("change", upload);
$("caption").addEventListener("click", captionImage);
tabs.push({panel: $("caption-panel"), shows: (model) => "caption" in model.signatures, select: selectCaptionModel});

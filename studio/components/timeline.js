// The cut as a strip of clips: poster frames at each take's shape, each clip as long as it
// plays, the transition between clips shown and changed in place, clips dragged into a new
// order and trimmed by their edges. Every change goes to the page as one "edit" (the new
// order, or one scene's transition or trims), which saves it and draws the strip again.
export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  let root = parentElement.querySelector(".vg-timeline");
  if (!root) {
    root = document.createElement("div");
    root.className = "vg-timeline";
    parentElement.append(root);
  }
  const send = (edit) => setTriggerValue("edit", { ...edit, nonce: `${Date.now()}-${Math.random()}` });
  draw(root, data, send);
}

const FRAME = (fps, s) => Math.round(s * fps) / fps;
const MIN_SECONDS = 0.5;

function draw(root, data, send) {
  const selected = root.dataset.selected;
  root.innerHTML = "";
  const track = document.createElement("div");
  track.className = "vg-track";
  track.setAttribute("role", "list");
  track.setAttribute("aria-label", "Timeline");
  root.append(track);
  const cards = [data.title, data.end].filter(Boolean);
  const total = [...data.clips, ...cards].reduce((sum, c) => sum + c.seconds, 0) || 1;
  const room = Math.max(600, (root.clientWidth || 900) - 70 * (data.clips.length + cards.length));
  const pps = Math.min(90, Math.max(22, room / total)); // pixels per second
  if (data.title) track.append(cardBlock(data.title, "Title card", pps));
  data.clips.forEach((clip, index) => {
    // the first clip transitions only out of a title card
    if (index > 0 || data.title) track.append(transitionChip(clip, data, send));
    track.append(clipBlock(clip, data, pps, send, root));
  });
  if (data.end) track.append(cardBlock(data.end, "End card", pps));
  const detail = document.createElement("div");
  detail.className = "vg-detail";
  root.append(detail);
  const again = data.clips.find((c) => String(c.id) === selected);
  if (again) showDetail(root, again, data, send);
  else detail.innerHTML = `<span class="vg-hint">${data.hint}</span>`;
  root.querySelector(`.vg-clip[data-id="${root.dataset.focus}"]`)?.focus();
}

function cardBlock(card, name, pps) {
  const block = document.createElement("div");
  block.className = "vg-clip vg-card";
  block.setAttribute("role", "listitem");
  block.setAttribute("aria-label", `${name}: ${card.text}, ${card.seconds} seconds`);
  block.style.width = `${Math.max(84, card.seconds * pps)}px`;
  const strip = document.createElement("div");
  strip.className = "vg-strip";
  strip.style.background = card.background;
  strip.textContent = card.text;
  const meta = document.createElement("div");
  meta.className = "vg-meta";
  meta.innerHTML = `<span class="vg-title"></span><span class="vg-length"></span>`;
  meta.firstChild.textContent = name;
  meta.lastChild.textContent = `${card.seconds.toFixed(1)} s · set below`;
  block.append(strip, meta);
  return block;
}

function clipBlock(clip, data, pps, send, root) {
  const block = document.createElement("div");
  block.className = "vg-clip" + (clip.has_take ? "" : " vg-empty");
  block.dataset.id = String(clip.id);
  block.tabIndex = 0;
  block.setAttribute("role", "listitem");
  block.setAttribute("aria-label", `Scene ${clip.number}: ${clip.title}, ${clip.seconds.toFixed(1)} seconds`);
  block.style.width = `${Math.max(84, clip.seconds * pps)}px`;
  const strip = document.createElement("div");
  strip.className = "vg-strip";
  strip.style.setProperty("--aspect", String(clip.aspect));
  if (clip.poster) strip.style.backgroundImage = `url("${clip.poster}")`;
  else strip.textContent = "no take yet";
  const meta = document.createElement("div");
  meta.className = "vg-meta";
  const title = document.createElement("span");
  title.className = "vg-title";
  title.textContent = `${clip.number}. ${clip.title}`;
  const length = document.createElement("span");
  length.className = "vg-length";
  length.textContent = `${clip.seconds.toFixed(1)} s` + (clip.trim_in || clip.trim_out ? " · trimmed" : "") + (clip.draft ? " · draft" : "");
  meta.append(title, length);
  block.append(strip, meta);
  if (data.trims && clip.has_take && data.editable) {
    for (const side of ["in", "out"]) block.append(trimHandle(block, clip, side, data, pps, send, length));
  }
  if (data.editable) dragToReorder(block, strip, clip, data, send, root);
  block.addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      showDetail(root, clip, data, send);
    } else if (data.editable && e.altKey && ["ArrowLeft", "ArrowRight"].includes(e.key)) {
      e.preventDefault();
      root.dataset.focus = String(clip.id); // the strip is drawn again: focus follows the clip
      move(data, clip.id, e.key === "ArrowLeft" ? -1 : 1, send);
    }
  });
  block.addEventListener("click", () => showDetail(root, clip, data, send));
  return block;
}

function move(data, id, by, send) {
  const order = data.clips.map((c) => c.id);
  const from = order.indexOf(id);
  const to = from + by;
  if (to < 0 || to >= order.length) return;
  order.splice(from, 1);
  order.splice(to, 0, id);
  send({ order });
}

function trimHandle(block, clip, side, data, pps, send, label) {
  const handle = document.createElement("div");
  handle.className = `vg-handle vg-${side}`;
  handle.title = side === "in" ? "Drag to trim the start" : "Drag to trim the end";
  handle.addEventListener("pointerdown", (down) => {
    down.stopPropagation();
    down.preventDefault();
    handle.setPointerCapture(down.pointerId);
    const start = { in: clip.trim_in, out: clip.trim_out };
    const trims = { ...start };
    const moveTo = (e) => {
      const seconds = (e.clientX - down.clientX) / pps;
      const room = clip.take_seconds - MIN_SECONDS;
      if (side === "in") trims.in = Math.min(Math.max(0, FRAME(data.fps, start.in + seconds)), room - trims.out);
      else trims.out = Math.min(Math.max(0, FRAME(data.fps, start.out - seconds)), room - trims.in);
      const plays = clip.take_seconds - trims.in - trims.out;
      block.style.width = `${Math.max(84, plays * pps)}px`;
      label.textContent = `in ${trims.in.toFixed(2)} s · out ${trims.out.toFixed(2)} s · ${plays.toFixed(2)} s`;
    };
    const up = () => {
      handle.removeEventListener("pointermove", moveTo);
      if (trims.in !== start.in || trims.out !== start.out) {
        send({ edits: { [clip.id]: { trim_in: trims.in, trim_out: trims.out } } });
      }
    };
    handle.addEventListener("pointermove", moveTo);
    handle.addEventListener("pointerup", up, { once: true });
  });
  return handle;
}

function dragToReorder(block, strip, clip, data, send, root) {
  strip.addEventListener("pointerdown", (down) => {
    if (down.button !== 0) return;
    strip.setPointerCapture(down.pointerId);
    let dragging = false;
    const others = [...root.querySelectorAll(".vg-clip")].filter((b) => b !== block);
    const moveTo = (e) => {
      const dx = e.clientX - down.clientX;
      if (!dragging && Math.abs(dx) < 6) return;
      dragging = true;
      block.classList.add("vg-dragging");
      block.style.transform = `translateX(${dx}px)`;
    };
    const up = (e) => {
      strip.removeEventListener("pointermove", moveTo);
      block.classList.remove("vg-dragging");
      block.style.transform = "";
      if (!dragging) return;
      // the new place: after every other clip whose middle is left of the pointer
      const before = others.filter((b) => {
        const r = b.getBoundingClientRect();
        return r.left + r.width / 2 < e.clientX;
      }).length;
      const order = others.map((b) => Number(b.dataset.id));
      order.splice(before, 0, clip.id);
      if (order.join() !== data.clips.map((c) => c.id).join()) send({ order });
    };
    strip.addEventListener("pointermove", moveTo);
    strip.addEventListener("pointerup", up, { once: true });
  });
}

function transitionChip(clip, data, send) {
  const chip = document.createElement("div");
  chip.className = "vg-tr-wrap";
  const button = document.createElement("button");
  button.className = "vg-tr" + (clip.transition === "cut" ? "" : " vg-soft");
  const name = data.transitions.find(([value]) => value === clip.transition)?.[1] ?? clip.transition;
  button.textContent = clip.transition === "cut" ? name : `${name} ${clip.transition_seconds.toFixed(1)} s`;
  button.title = `Into scene ${clip.number}${clip.number === 1 ? " from the title card" : ""}: click to change`;
  button.setAttribute("aria-label", `Transition into scene ${clip.number}: ${button.textContent}`);
  button.disabled = !data.editable;
  button.addEventListener("click", (e) => {
    e.stopPropagation();
    const open = chip.querySelector(".vg-popover");
    if (open) { open.remove(); return; }
    chip.append(transitionEditor(clip, data, send));
  });
  chip.append(button);
  return chip;
}

function transitionEditor(clip, data, send) {
  const box = document.createElement("div");
  box.className = "vg-popover";
  box.addEventListener("keydown", (e) => { if (e.key === "Escape") box.remove(); });
  const kind = document.createElement("select");
  kind.setAttribute("aria-label", "Transition");
  for (const [value, label] of data.transitions) kind.add(new Option(label, value, false, value === clip.transition));
  const seconds = document.createElement("input");
  Object.assign(seconds, { type: "number", min: "0.2", max: "2", step: "0.1" });
  seconds.value = String(clip.transition === "cut" ? 0.5 : clip.transition_seconds);
  seconds.setAttribute("aria-label", "Seconds");
  const unit = document.createElement("span");
  unit.textContent = "s";
  const apply = document.createElement("button");
  apply.textContent = "Apply";
  apply.className = "vg-apply";
  const sync = () => { seconds.disabled = kind.value === "cut"; };
  kind.onchange = sync;
  sync();
  apply.onclick = () => {
    const transition = kind.value === "cut" ? "cut" : { kind: kind.value, duration: Number(seconds.value) };
    send({ edits: { [clip.id]: { transition } } });
    box.remove();
  };
  box.append(kind, seconds, unit, apply);
  return box;
}

function showDetail(root, clip, data, send) {
  root.dataset.selected = String(clip.id);
  root.querySelectorAll(".vg-clip").forEach((b) => b.classList.toggle("vg-selected", b.dataset.id === String(clip.id)));
  const detail = root.querySelector(".vg-detail");
  detail.innerHTML = "";
  const head = document.createElement("strong");
  head.textContent = `${clip.number}. ${clip.title}`;
  detail.append(head);
  const facts = document.createElement("span");
  facts.textContent = clip.has_take
    ? `take ${clip.take_seconds.toFixed(1)} s · plays ${clip.seconds.toFixed(2)} s`
    : "no take chosen yet: choose one on the Takes page";
  detail.append(facts);
  if (!data.editable) return;
  const earlier = button("Move earlier", () => move(data, clip.id, -1, send));
  const later = button("Move later", () => move(data, clip.id, 1, send));
  earlier.disabled = clip.number === 1;
  later.disabled = clip.number === data.clips.length;
  detail.append(earlier, later);
  if (data.trims && clip.has_take) {
    const trimIn = numberField("Trim start (s)", clip.trim_in);
    const trimOut = numberField("Trim end (s)", clip.trim_out);
    const apply = button("Apply trims", () => send({
      edits: { [clip.id]: { trim_in: Number(trimIn.input.value), trim_out: Number(trimOut.input.value) } },
    }));
    detail.append(trimIn.label, trimOut.label, apply);
  }
}

function button(text, onclick) {
  const b = document.createElement("button");
  b.textContent = text;
  b.onclick = onclick;
  return b;
}

function numberField(text, value) {
  const label = document.createElement("label");
  label.textContent = text + " ";
  const input = document.createElement("input");
  Object.assign(input, { type: "number", min: "0", step: String(1 / 24) }); // a frame
  input.value = String(value);
  label.append(input);
  return { label, input };
}

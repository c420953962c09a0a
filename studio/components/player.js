// A frame-accurate player for one take, or several compared in sync.
// The first video leads: the others follow its play, pause, seeks and rate, and are pulled
// back onto its frame when they drift more than a frame during playback.
// In a live review it either leads the room (posts each play, pause, seek and drawing)
// or follows the room's presenter, as the room pushes them (``liveRoom``).
export default function (component) {
  if (component.data.live) return liveRoom(component);
  mount(component.parentElement, component.data, component.setStateValue);
}

// The player for ``data`` in ``parent``: built (again, for other sources), wired once,
// sought and given its review part as ``data`` says.
function mount(parent, data, setStateValue) {
  const fps = data.fps || 24;
  let root = parent.querySelector(".vg-player");
  if (!root || root.dataset.sources !== JSON.stringify([data.sources, Boolean(data.wipe)])) {
    if (root) root.remove();
    root = build(parent, data);
  }
  const videos = [...root.querySelectorAll("video")];
  const lead = videos[0];
  const seek = data.seek;
  if (seek && String(seek.nonce) !== root.dataset.seekNonce) {
    root.dataset.seekNonce = String(seek.nonce);
    const go = () => showFrame(videos, Math.round(seek.at * fps), fps, report);
    lead.readyState >= 1 ? go() : lead.addEventListener("loadedmetadata", go, { once: true });
  }

  // The page hears of the frame the player is paused on, once per frame: each report
  // reruns the page (a live room's follows the presenter instead).
  function report() {
    const frame = currentFrame(lead, fps);
    show(root, frame, fps);
    if (lead.paused && !data.live && root.dataset.reported !== String(frame)) {
      root.dataset.reported = String(frame);
      setStateValue("time", frame / fps);
    }
  }

  if (!root.dataset.wired) {
    root.dataset.wired = "1";
    wire(root, videos, fps, report);
  }
  const go = (frame) => showFrame(videos, frame, fps, report);
  if (data.marks) {
    // a drawing changed: a presenter's room sees it at once
    const drawn = (name, value) => { setStateValue(name, value); if (root._tell) root._tell(); };
    review(root, data, fps, drawn, go);
  }
  return { root, videos, fps, go };
}

// Drawn here rather than taken from a font: not every machine's fonts have these glyphs.
const svg = (path) => `<svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true"><path fill="currentColor" d="${path}"/></svg>`;
const ICONS = {
  back: svg("M6 5h2v14H6zM20 5v14L9 12z"),
  forward: svg("M16 5h2v14h-2zM4 5v14l11-7z"),
  play: svg("M7 5v14l12-7z"),
  pause: svg("M6 5h4v14H6zM14 5h4v14h-4z"),
};

function build(parent, data) {
  const root = document.createElement("div");
  root.className = data.live ? "vg-player vg-live" : "vg-player";
  root.tabIndex = 0;
  root.setAttribute("role", "group");
  root.dataset.sources = JSON.stringify([data.sources, Boolean(data.wipe)]); // rebuilt on change
  root.setAttribute("aria-label", "Player: space plays or pauses, arrow keys step a frame");
  const screens = document.createElement("div");
  screens.className = data.wipe ? "vg-screens vg-wipe" : "vg-screens";
  for (const source of data.sources) {
    const figure = document.createElement("figure");
    const video = document.createElement("video");
    video.src = source.url;
    video.preload = "auto";
    video.playsInline = true;
    video.muted = source !== data.sources[0]; // one sound track when comparing
    const caption = document.createElement("figcaption");
    caption.textContent = source.label;
    const box = document.createElement("div"); // the picture: a drawing lies exactly over it
    box.className = "vg-box";
    box.append(video);
    figure.append(box, caption);
    screens.append(figure);
  }
  const bar = document.createElement("div");
  bar.className = "vg-bar";
  bar.innerHTML = `
    <button data-act="back" title="Back one frame (←)" aria-label="Back one frame">${ICONS.back}</button>
    <button data-act="play" title="Play or pause (space)" aria-label="Play">${ICONS.play}</button>
    <button data-act="forward" title="Forward one frame (→)" aria-label="Forward one frame">${ICONS.forward}</button>
    <input class="vg-scrub" type="range" min="0" max="1000" value="0" aria-label="Position">
    <span class="vg-time" title="hours:minutes:seconds:frames">00:00:00:00</span>
    <span class="vg-frame">frame 1</span>
    <select class="vg-rate" aria-label="Speed">
      <option value="0.25">¼×</option><option value="0.5">½×</option>
      <option value="1" selected>1×</option><option value="2">2×</option>
    </select>`;
  if (data.live) {
    // the browser plays sound only once the page was clicked: until then a follower's is off
    const sound = document.createElement("button");
    Object.assign(sound, { className: "vg-sound", textContent: "Turn the sound on" });
    sound.onclick = () => { root.querySelector("video").muted = false; root.classList.remove("vg-silenced"); };
    bar.append(sound);
  }
  if (data.wipe) {
    // the second picture over the first, shown right of a line dragged across both
    const line = document.createElement("input");
    Object.assign(line, { type: "range", min: "0", max: "100", value: "50", className: "vg-wipe-line" });
    line.setAttribute("aria-label", "Wipe: drag to show more of one or the other");
    const top = screens.querySelectorAll(".vg-box video")[1];
    const cut = () => { top.style.clipPath = `inset(0 0 0 ${line.value}%)`; };
    line.oninput = cut;
    cut();
    screens.append(line);
  }
  if (data.marks) {
    const overlay = document.createElementNS(SVG, "svg");
    overlay.setAttribute("class", "vg-overlay");
    overlay.setAttribute("viewBox", "0 0 1 1");
    overlay.setAttribute("preserveAspectRatio", "none");
    screens.querySelector(".vg-box").append(overlay);
    const marks = document.createElement("div");
    marks.className = "vg-marks";
    if (!data.pen) {
      root.append(screens, marks, bar);
      parent.append(root);
      return root;
    }
    const pen = document.createElement("div");
    pen.className = "vg-pen";
    pen.innerHTML = `<span>Draw on this frame:</span>
      <button data-pen="free" aria-pressed="false" title="Freehand">Pen</button>
      <button data-pen="arrow" aria-pressed="false" title="Arrow">Arrow</button>
      <button data-pen="box" aria-pressed="false" title="Box">Box</button>
      <button data-pen="clear" title="Remove what you drew">Clear</button>
      <span class="vg-hint">[ and ] go to the previous and next comment</span>`;
    root.append(screens, marks, bar, pen);
  } else {
    root.append(screens, bar);
  }
  parent.append(root);
  return root;
}

const SVG = "http://www.w3.org/2000/svg";

// Review: comments as marks on the bar, each one's drawing over the picture at its frame
// only, and a pen whose shapes (coordinates 0..1 across and down) go with the next comment.
function review(root, data, fps, setStateValue, go) {
  const lead = root.querySelector("video");
  const overlay = root.querySelector(".vg-overlay");
  root._marks = data.marks;
  if (root.dataset.cleared !== String(data.cleared)) {
    const rebuilt = root.dataset.cleared === undefined; // a new player: no pen shapes
    root.dataset.cleared = String(data.cleared);
    root._pen = { frame: null, shapes: [] };
    if (rebuilt) setStateValue("drawing", null); // what the page held was drawn on the old one
  }
  const frames = () => Math.max(1, Math.floor((lead.duration || 0) * fps));
  const paintMarks = () => {
    const bar = root.querySelector(".vg-marks");
    const scrub = root.querySelector(".vg-scrub"); // the marks lie right above its track
    Object.assign(bar.style, { marginLeft: `${scrub.offsetLeft}px`, width: `${scrub.offsetWidth}px` });
    bar.replaceChildren(...root._marks.map((m) => {
      const tick = document.createElement("button");
      tick.className = "vg-mark";
      tick.style.left = `${(m.frame / frames()) * 100}%`;
      if (m.end != null) tick.style.width = `${((m.end - m.frame) / frames()) * 100}%`;
      tick.title = m.label; // text, never markup
      tick.setAttribute("aria-label", m.label);
      tick.onclick = () => go(m.frame);
      return tick;
    }));
  };
  lead.readyState >= 1 ? paintMarks() : lead.addEventListener("loadedmetadata", paintMarks, { once: true });
  root._onFrame = (frame) => {
    if (root._pen.frame !== null && root._pen.frame !== frame && root._pen.shapes.length) {
      root._pen = { frame: null, shapes: [] }; // drawn on another frame: gone with it
      setStateValue("drawing", { frame, shapes: [], cleared: data.cleared });
    }
    const shown = root._marks.filter((m) => m.frame === frame && m.drawing).flatMap((m) => m.drawing);
    const presenters = root._live && !root._live.lead && root._cue ? root._cue.shapes : [];
    const shapes = [...shown, ...presenters, ...root._pen.shapes];
    // called on every frame played: an empty overlay stays untouched (no layout per frame)
    if (shapes.length || overlay.childElementCount) paint(overlay, shapes);
  };
  root._onFrame(Number(root.dataset.frame || 0));
  if (root.dataset.reviewWired) return;
  root.dataset.reviewWired = "1";
  // The overlay lies over the picture itself, not its letterbox: 0..1 is the picture's.
  const fit = () => {
    const ratio = lead.videoWidth / lead.videoHeight || 16 / 9;
    const [W, H] = [lead.clientWidth, lead.clientHeight];
    const [w, h] = W / H > ratio ? [H * ratio, H] : [W, W / ratio];
    Object.assign(overlay.style, { left: `${(W - w) / 2}px`, top: `${(H - h) / 2}px`,
      width: `${w}px`, height: `${h}px` });
  };
  lead.addEventListener("loadedmetadata", fit);
  new ResizeObserver(fit).observe(lead);
  new ResizeObserver(paintMarks).observe(root.querySelector(".vg-scrub"));
  const jump = (step) => {
    const here = Number(root.dataset.frame || 0);
    const starts = [...new Set(root._marks.map((m) => m.frame))].sort((a, b) => a - b);
    const next = step > 0 ? starts.find((f) => f > here) : starts.reverse().find((f) => f < here);
    if (next !== undefined) go(next);
  };
  root.addEventListener("keydown", (e) => {
    if (e.key === "]" || e.key === "[") { e.preventDefault(); jump(e.key === "]" ? 1 : -1); }
  });
  let kind = null;
  let drawing = null;
  const buttons = [...root.querySelectorAll("[data-pen]")];
  for (const b of buttons) {
    b.onclick = () => {
      if (b.dataset.pen === "clear") {
        root._pen = { frame: null, shapes: [] };
        setStateValue("drawing", { frame: Number(root.dataset.frame || 0), shapes: [], cleared: Number(root.dataset.cleared) });
        root._onFrame(Number(root.dataset.frame || 0));
        return;
      }
      kind = kind === b.dataset.pen ? null : b.dataset.pen;
      buttons.forEach((o) => o.setAttribute("aria-pressed", String(o.dataset.pen === kind)));
      overlay.classList.toggle("vg-drawing", kind !== null);
      if (kind) videosPause(root);
    };
  }
  const at = (e) => {
    const box = overlay.getBoundingClientRect();
    const clamp = (v) => Math.min(1, Math.max(0, Math.round(v * 1000) / 1000));
    return [clamp((e.clientX - box.left) / box.width), clamp((e.clientY - box.top) / box.height)];
  };
  overlay.addEventListener("pointerdown", (e) => {
    if (!kind) return;
    videosPause(root);
    overlay.setPointerCapture(e.pointerId);
    drawing = { kind, points: [at(e), at(e)], color: "#ff3b30" };
  });
  overlay.addEventListener("pointermove", (e) => {
    if (!drawing) return;
    if (drawing.kind === "free") drawing.points.push(at(e)); else drawing.points[1] = at(e);
    paint(overlay, [...root._pen.shapes, drawing]);
  });
  overlay.addEventListener("pointercancel", () => { drawing = null; root._onFrame(Number(root.dataset.frame || 0)); });
  overlay.addEventListener("pointerup", () => {
    if (!drawing) return;
    const frame = Number(root.dataset.frame || 0);
    if (drawing.kind === "free" && drawing.points.length > 500) drawing.points = drawing.points.filter((_, i) => i % Math.ceil(drawing.points.length / 500) === 0);
    root._pen = { frame, shapes: [...root._pen.shapes, drawing] };
    drawing = null;
    setStateValue("drawing", { frame, shapes: root._pen.shapes, cleared: Number(root.dataset.cleared) });
    root._onFrame(frame);
  });
}

function videosPause(root) {
  root.querySelectorAll("video").forEach((v) => v.pause());
}

function paint(overlay, shapes) {
  overlay.replaceChildren(...shapes.map((s) => {
    const [a, b] = [s.points[0], s.points[s.points.length - 1]];
    let el;
    if (s.kind === "box") {
      el = document.createElementNS(SVG, "rect");
      el.setAttribute("x", Math.min(a[0], b[0])); el.setAttribute("y", Math.min(a[1], b[1]));
      el.setAttribute("width", Math.abs(b[0] - a[0])); el.setAttribute("height", Math.abs(b[1] - a[1]));
    } else if (s.kind === "arrow") {
      // the shaft, and a head of two short strokes back from its tip
      const angle = Math.atan2(b[1] - a[1], b[0] - a[0]);
      const head = (turn) => `${b[0] - 0.03 * Math.cos(angle + turn)},${b[1] - 0.03 * Math.sin(angle + turn)}`;
      el = document.createElementNS(SVG, "polyline");
      el.setAttribute("points", `${a[0]},${a[1]} ${b[0]},${b[1]} ${head(0.5)} ${b[0]},${b[1]} ${head(-0.5)}`);
    } else {
      el = document.createElementNS(SVG, "polyline");
      el.setAttribute("points", s.points.map((p) => p.join(",")).join(" "));
    }
    el.setAttribute("fill", "none");
    el.setAttribute("stroke", s.color || "#ff3b30");
    el.setAttribute("stroke-width", "3");
    el.setAttribute("vector-effect", "non-scaling-stroke");
    el.setAttribute("stroke-linejoin", "round");
    return el;
  }));
}

function wire(root, videos, fps, report) {
  const lead = videos[0];
  const play = root.querySelector('[data-act="play"]');
  const scrub = root.querySelector(".vg-scrub");
  const toggle = () => {
    if (lead.paused) {
      videos.forEach((v) => { v.currentTime = lead.currentTime; v.play().catch(() => {}); });
    } else {
      const frame = currentFrame(lead, fps);
      // a presenter's room hears first: pausing a playing video can wait on its decoder
      if (root._tell) root._tell({ playing: false, position: frame / fps });
      videos.forEach((v) => v.pause());
      showFrame(videos, frame, fps, report);
    }
  };
  const step = (frames) => showFrame(videos, currentFrame(lead, fps) + frames, fps, report);
  root.querySelector('[data-act="back"]').onclick = () => step(-1);
  root.querySelector('[data-act="forward"]').onclick = () => step(1);
  play.onclick = toggle;
  root.querySelector(".vg-rate").onchange = (e) => videos.forEach((v) => { v.playbackRate = Number(e.target.value); });
  scrub.oninput = () => {
    const frame = Math.round((scrub.value / 1000) * lead.duration * fps);
    showFrame(videos, frame, fps, report);
  };
  root.addEventListener("keydown", (e) => {
    if (root.classList.contains("vg-following")) return; // the presenter's player moves it
    const keys = { " ": toggle, k: toggle, ArrowLeft: () => step(e.shiftKey ? -Math.round(fps) : -1),
      ArrowRight: () => step(e.shiftKey ? Math.round(fps) : 1), ",": () => step(-1), ".": () => step(1) };
    if (keys[e.key]) { e.preventDefault(); keys[e.key](); }
  });
  lead.addEventListener("play", () => { play.innerHTML = ICONS.pause; play.setAttribute("aria-label", "Pause"); });
  lead.addEventListener("pause", () => { play.innerHTML = ICONS.play; play.setAttribute("aria-label", "Play"); report(); });
  lead.addEventListener("ended", () => videos.forEach((v) => v.pause()));
  lead.addEventListener("seeked", report);
  // The frame on screen, as the compositor shows it, not the clock between frames.
  const onFrame = (_now, meta) => {
    show(root, Math.round(meta.mediaTime * fps), fps);
    if (lead.duration) scrub.value = String(Math.round((meta.mediaTime / lead.duration) * 1000));
    for (const other of videos.slice(1)) {
      if (!lead.paused && Math.abs(other.currentTime - lead.currentTime) > 1.5 / fps) {
        other.currentTime = Math.min(lead.currentTime, other.duration || lead.currentTime);
      }
    }
    lead.requestVideoFrameCallback(onFrame);
  };
  lead.requestVideoFrameCallback(onFrame);
}

// Live review. ``data.live``: {items: [{key, label, sources, fps}], stream, lead (URLs
// carrying this page's pass)}. The room is pushed to the page (Server-Sent Events from
// ``studio.live_push``): the time on the room's clock, whether this page presents, and
// each new state of the presenter's; a presenter's player posts its acts. No page run is
// on the way, so a follower is a network hop and a seek behind. The room outlives page
// runs on the component's element; it closes once that element leaves the page.
function liveRoom(component) {
  const host = component.parentElement;
  let room = host._vgRoom;
  if (!room || room.stream !== component.data.live.stream) {
    if (room) room.close();
    room = host._vgRoom = openRoom(host, component.data.live.stream);
  }
  room.live = component.data.live;
  render(host, room);
  return () => setTimeout(() => { if (!host.isConnected) room.close(); }, 0);
}

function openRoom(host, stream) {
  const room = { stream, live: null, leading: false, now: null, cue: null, source: null, closed: false };
  const connect = () => {
    if (room.closed) return;
    if (!host.isConnected) return room.close();
    const source = (room.source = new EventSource(stream));
    source.onmessage = (e) => {
      const heard = JSON.parse(e.data);
      room.now = heard.now;
      room.leading = heard.leading;
      if (heard.state) room.cue = heard.state;
      render(host, room);
    };
    // refused (a pass lapsed while the laptop slept): the page's heartbeat gives it back
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED && room.source === source) {
        room.source = null;
        setTimeout(() => { if (!room.source && !document.hidden) connect(); }, 2000);
      }
    };
  };
  room.close = () => { room.closed = true; if (room.source) room.source.close(); };
  // a tab out of sight lets go of its connection (a browser holds six per server); back in
  // sight, the room starts it from the latest state
  const sight = () => {
    if (room.closed) return document.removeEventListener("visibilitychange", sight);
    if (document.hidden && room.source) { room.source.close(); room.source = null; }
    else if (!document.hidden && !room.source) connect();
  };
  document.addEventListener("visibilitychange", sight);
  connect();
  return room;
}

// The presenter's item in the player, following or leading as the room says.
function render(host, room) {
  const { items } = room.live;
  const cue = room.cue;
  const found = cue ? items.findIndex((i) => i.key === cue.item) : 0;
  const index = Math.max(0, found);
  const item = items[index];
  heading(host, room, index, found < 0);
  const data = { sources: item.sources, fps: item.fps, marks: [], cleared: 0, wipe: false, pen: true, live: true };
  const { root, videos, fps, go } = mount(host, data, () => {});
  const part = { lead: room.leading, now: room.now, item: item.key, cue: found >= 0 ? cue : null };
  playLive(root, videos, fps, part, (state) => tell(room, state), go);
}

// Which item is on screen, and the presenter's way to another one.
function heading(host, room, index, gone) {
  let head = host.querySelector(".vg-live-head");
  if (!head) {
    head = document.createElement("div");
    head.className = "vg-live-head";
    head.innerHTML = `<strong class="vg-live-item"></strong><span class="vg-live-note"></span>
      <button data-to="-1" aria-label="Previous item">‹ Previous item</button>
      <button data-to="1" aria-label="Next item">Next item ›</button>`;
    for (const button of head.querySelectorAll("button")) {
      button.onclick = () => {
        const to = room.live.items[Number(head.dataset.index) + Number(button.dataset.to)];
        if (to) tell(room, { item: to.key, position: 0, playing: false, shapes: [], at: null });
      };
    }
    host.prepend(head);
  }
  const { items } = room.live;
  head.dataset.index = String(index);
  head.classList.toggle("vg-leading", room.leading);
  head.querySelector(".vg-live-item").textContent = `Item ${index + 1} of ${items.length} — ${items[index].label}`;
  head.querySelector(".vg-live-note").textContent = gone ? "The presenter's item has been taken out of this session." : "";
  head.querySelector('[data-to="-1"]').disabled = index === 0;
  head.querySelector('[data-to="1"]').disabled = index === items.length - 1;
}

// One act on the way at a time, the newest waiting behind it: two at once could reach the
// room in the wrong order and leave everyone on the older one.
function tell(room, state) {
  if (room.telling) { room.waiting = state; return; }
  room.telling = true;
  fetch(room.live.lead, { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify(state) })
    .catch(() => {}) // refused or away: the room's own state says who presents
    .finally(() => {
      room.telling = false;
      const next = room.waiting;
      room.waiting = null;
      if (next) tell(room, next);
    });
}

// One player's part of the room. ``live``: {lead, now (the room's clock, seconds), item
// (its key), cue (the presenter's latest state on this item: position, playing, shapes,
// sent_at on that clock, seq)}. A follower applies each new cue once and keeps up with it
// while it plays; a leader applies only the cue it starts from (a new player: a hand-over,
// another item) and tells the room the rest.
function playLive(root, videos, fps, live, post, go) {
  const lead = videos[0];
  // the room's clock here: the sample delivered fastest is the closest (kept on the
  // component's element, which outlives a player rebuilt for another item)
  const host = root.parentNode;
  if (live.now !== null) host._vgOffset = Math.max(host._vgOffset ?? -Infinity, live.now * 1000 - Date.now());
  root._live = live;
  root.classList.toggle("vg-following", !live.lead);
  const fresh = root.dataset.cue === undefined;
  if (fresh) root.dataset.cue = "";
  const cue = live.cue;
  if (cue && (fresh || (!live.lead && String(cue.seq) !== root.dataset.cue))) {
    root.dataset.cue = String(cue.seq);
    root._cue = cue;
    root._said = null; // someone else's state: this player's next one is news
    const apply = () => follow(root, videos, fps, go);
    lead.readyState >= 1 ? apply() : lead.addEventListener("loadedmetadata", apply, { once: true });
  }
  if (root.dataset.liveWired) return;
  root.dataset.liveWired = "1";
  // At most one report a tenth of a second (dragging the bar seeks on every move), the
  // last one always sent: each is a message to everyone.
  let sentAt = 0;
  let timer = null;
  const send = (now) => { // ``now``: what the player is about to show, if not what it shows
    const playing = now ? now.playing : !lead.paused;
    const position = now ? now.position : playing ? lead.currentTime : currentFrame(lead, fps) / fps;
    const shapes = root._pen ? root._pen.shapes : [];
    const state = { item: root._live.item, position, playing, shapes };
    if (!playing && JSON.stringify(state) === root._said) return; // told already
    root._said = JSON.stringify(state);
    sentAt = performance.now();
    post({ ...state, at: roomClock(root) });
  };
  root._tell = (now) => {
    if (!root._live.lead) return;
    clearTimeout(timer);
    const wait = sentAt + 100 - performance.now();
    if (wait <= 0) send(now); // now, not a task later: a page playing video is slow to get to it
    else timer = setTimeout(() => send(now), wait);
  };
  for (const name of ["play", "pause", "seeked"]) lead.addEventListener(name, () => root._tell());
  // While the presenter plays, a follower more than a couple of frames off catches up
  // by playing a little faster or slower (seeking would stall it); far off, it seeks.
  const keep = () => {
    const cue = root._cue;
    if (!root._live.lead && cue && cue.playing && !lead.paused && !lead.seeking) {
      const drift = lead.currentTime - expected(root, cue); // ahead if more than 0
      if (Math.abs(drift) > 1) follow(root, videos, fps, go);
      else if (Math.abs(drift) > 2 / fps) setRate(videos, 1 - Math.max(-0.5, Math.min(0.5, 2 * drift)));
      else if (Math.abs(drift) < 0.5 / fps) setRate(videos, 1);
    }
    lead.requestVideoFrameCallback(keep);
  };
  lead.requestVideoFrameCallback(keep);
}

// Show the cue: paused on its frame, or playing from where the presenter is now.
function follow(root, videos, fps, go) {
  const cue = root._cue;
  if (root._onFrame) root._onFrame(Number(root.dataset.frame || 0)); // the presenter's drawing
  if (!cue.playing) {
    setRate(videos, 1);
    go(Math.floor(cue.position * fps + 1e-3));
    return;
  }
  const at = Math.min(expected(root, cue), videos[0].duration || Infinity);
  videos.forEach((v) => { v.playbackRate = 1; v.currentTime = at; });
  videos.forEach((v) => v.play().catch((e) => {
    if (e.name !== "NotAllowedError") return;
    videos.forEach((o) => { o.muted = true; }); // no click on the page yet: silent, not still
    root.classList.add("vg-silenced");
    v.play().catch(() => {});
  }));
}

function expected(root, cue) {
  return cue.position + (roomClock(root) - cue.sent_at);
}

function roomClock(root) {
  return (Date.now() + root.parentNode._vgOffset) / 1000;
}

function setRate(videos, rate) {
  videos.forEach((v) => { if (v.playbackRate !== rate) v.playbackRate = rate; });
}

function show(root, frame, fps) {
  root.querySelector(".vg-time").textContent = timecode(frame, fps);
  root.querySelector(".vg-frame").textContent = `frame ${frame + 1}`;
  root.dataset.frame = String(frame);
  if (root._onFrame) root._onFrame(frame);
}

// The frame on screen: past the end (once playback ended) is the last one.
function currentFrame(video, fps) {
  const last = video.duration ? Math.max(0, Math.floor(video.duration * fps) - 1) : Infinity;
  return Math.min(last, Math.max(0, Math.floor(video.currentTime * fps + 1e-3)));
}

// Seek every video to the middle of ``frame``: the frame itself is shown whatever the
// decoder's rounding.
function showFrame(videos, frame, fps, report) {
  const last = Math.max(0, Math.floor((videos[0].duration || 0) * fps) - 1);
  const target = Math.min(Math.max(0, frame), last);
  videos.forEach((v) => {
    v.pause();
    const own = Math.max(0, Math.floor((v.duration || 0) * fps) - 1);
    v.currentTime = (Math.min(target, own) + 0.5) / fps;
  });
  videos[0].addEventListener("seeked", report, { once: true });
}

function timecode(frame, fps) {
  const whole = Math.round(fps);
  const pad = (n) => String(n).padStart(2, "0");
  const seconds = Math.floor(frame / whole);
  return `${pad(Math.floor(seconds / 3600))}:${pad(Math.floor(seconds / 60) % 60)}:${pad(seconds % 60)}:${pad(frame % whole)}`;
}

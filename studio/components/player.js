// A frame-accurate player for one take, or several compared in sync.
// The first video leads: the others follow its play, pause, seeks and rate, and are pulled
// back onto its frame when they drift more than a frame during playback.
export default function (component) {
  const { data, parentElement, setStateValue } = component;
  const fps = data.fps || 24;
  let root = parentElement.querySelector(".vg-player");
  if (!root || root.dataset.sources !== JSON.stringify(data.sources)) {
    if (root) root.remove();
    root = build(parentElement, data);
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
  // reruns the page.
  function report() {
    const frame = currentFrame(lead, fps);
    show(root, frame, fps);
    if (lead.paused && root.dataset.reported !== String(frame)) {
      root.dataset.reported = String(frame);
      setStateValue("time", frame / fps);
    }
  }

  if (!root.dataset.wired) {
    root.dataset.wired = "1";
    wire(root, videos, fps, report);
  }
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
  root.className = "vg-player";
  root.tabIndex = 0;
  root.setAttribute("role", "group");
  root.dataset.sources = JSON.stringify(data.sources);
  root.setAttribute("aria-label", "Player: space plays or pauses, arrow keys step a frame");
  const screens = document.createElement("div");
  screens.className = "vg-screens";
  for (const source of data.sources) {
    const figure = document.createElement("figure");
    const video = document.createElement("video");
    video.src = source.url;
    video.preload = "auto";
    video.playsInline = true;
    video.muted = source !== data.sources[0]; // one sound track when comparing
    const caption = document.createElement("figcaption");
    caption.textContent = source.label;
    figure.append(video, caption);
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
  root.append(screens, bar);
  parent.append(root);
  return root;
}

function wire(root, videos, fps, report) {
  const lead = videos[0];
  const play = root.querySelector('[data-act="play"]');
  const scrub = root.querySelector(".vg-scrub");
  const toggle = () => {
    if (lead.paused) {
      videos.forEach((v) => { v.currentTime = lead.currentTime; v.play().catch(() => {}); });
    } else {
      videos.forEach((v) => v.pause());
      showFrame(videos, currentFrame(lead, fps), fps, report);
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

function show(root, frame, fps) {
  root.querySelector(".vg-time").textContent = timecode(frame, fps);
  root.querySelector(".vg-frame").textContent = `frame ${frame + 1}`;
  root.dataset.frame = String(frame);
}

function currentFrame(video, fps) {
  return Math.max(0, Math.floor(video.currentTime * fps + 1e-3));
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

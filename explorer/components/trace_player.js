// The trace player's renderer (see trace_player.py). It draws one JSON object (component.data): the
// program's lines, the operation x step and column x step grids, and the table with its row selectors.
// Every user string (column names, cells, program lines) is written with textContent or as an attribute
// value, never as markup. State: `current` (the step Play or a click reached) and `hover` (the step under
// the mouse); every element of step t carries data-step="t", so one pass marks a step in all views.
//
// Play sends every step it reaches to Python (the "picked" trigger), so the page's step, slider, panels and
// address follow it. Each of those reruns sends new data and Streamlit calls this function again on the same
// parentElement without calling the last cleanup, so Play's own state (playing, speed, the next step's due
// time, the steps it has sent) lives in `players`, per parentElement, and outlives a render.

const SVGNS = "http://www.w3.org/2000/svg";
const CELL = 22; // px of one grid cell
const LABEL_CHARS = 16; // longer grid labels are cut with … (the whole name is the label's tooltip)
const SPEED_STORE = "npx-player-ms-per-step"; // the speed chosen last, kept in the browser across pages
const players = new WeakMap(); // parentElement -> Play's state across renders

function storedMs(speeds, fallback) {
  try {
    const ms = Number(window.localStorage.getItem(SPEED_STORE));
    return speeds.some((s) => s.ms === ms) ? ms : fallback;
  } catch (e) { // storage can be switched off; the speed then lasts as long as the page
    return fallback;
  }
}

function storeMs(ms) {
  try { window.localStorage.setItem(SPEED_STORE, String(ms)); } catch (e) { /* see storedMs */ }
}

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function svg(tag, attrs) {
  const node = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  return node;
}

function cut(text, limit) {
  const s = String(text);
  return s.length <= limit ? s : s.slice(0, limit - 1) + "…";
}

function blue(p) {
  return `rgba(31, 119, 180, ${Math.max(0, Math.min(1, p)) * 0.85})`;
}

// A labels x steps grid: one cell per (label, step), coloured by prob(step, i); one transparent column per
// step on top (data-step), which is what hover and click find and what is outlined for the marked steps.
function grid(title, labels, steps, prob, chosen) {
  const box = el("div", "grid");
  box.appendChild(el("div", "grid-title", title));
  const labelW = 8 + 7 * Math.min(LABEL_CHARS, Math.max(4, ...labels.map((l) => String(l).length)));
  const top = 18;
  const width = labelW + CELL * steps.length + 4;
  const height = top + CELL * labels.length + 4;
  const g = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img" });
  steps.forEach((s, x) => {
    const head = svg("text", { x: labelW + CELL * x + CELL / 2, y: 13, "text-anchor": "middle", class: "head" });
    head.textContent = s.name;
    head.dataset.step = s.t;
    g.appendChild(head);
  });
  labels.forEach((label, y) => {
    const text = svg("text", { x: labelW - 6, y: top + CELL * y + CELL / 2 + 4, "text-anchor": "end" });
    text.textContent = cut(label, LABEL_CHARS);
    const tip = svg("title");
    tip.textContent = String(label);
    text.appendChild(tip);
    g.appendChild(text);
    steps.forEach((s, x) => {
      const rect = svg("rect", {
        x: labelW + CELL * x + 1, y: top + CELL * y + 1, width: CELL - 2, height: CELL - 2,
        fill: blue(prob(s, y)), class: chosen(s, y) ? "cell chosen" : "cell",
      });
      const t = svg("title");
      t.textContent = `${s.name} · ${label}: ${prob(s, y).toFixed(3)}`;
      rect.appendChild(t);
      g.appendChild(rect);
    });
  });
  steps.forEach((s, x) => {
    const hit = svg("rect", {
      x: labelW + CELL * x, y: top - 1, width: CELL, height: CELL * labels.length + 2, class: "col-hit",
    });
    hit.dataset.step = s.t;
    g.appendChild(hit);
  });
  box.appendChild(g);
  return box;
}

function programList(data) {
  const list = el("ol", "program");
  for (const s of data.steps) {
    const line = el("li", "line", s.line);
    line.dataset.step = s.t;
    list.appendChild(line);
  }
  return list;
}

function tableView(data) {
  const wrap = el("div", "table-wrap");
  const table = el("table", "rows");
  const head = el("tr");
  head.appendChild(el("th", "rownum", "row"));
  for (const s of data.steps) {
    const th = el("th", "strip", s.name);
    th.dataset.step = s.t;
    head.appendChild(th);
  }
  data.columns.forEach((c, j) => {
    const th = el("th", "col", cut(c, data.max_cell_chars));
    th.title = c;
    th.dataset.col = j;
    head.appendChild(th);
  });
  table.appendChild(head);
  data.rows.forEach((row, r) => {
    const tr = el("tr");
    tr.dataset.row = r;
    tr.appendChild(el("td", "rownum", r));
    for (const s of data.steps) {
      const td = el("td", "strip");
      td.dataset.step = s.t;
      td.style.background = blue(s.rows[r] || 0);
      td.title = `${s.name}: row ${r} ${(s.rows[r] || 0) >= 0.5 ? "selected" : "not selected"}`;
      tr.appendChild(td);
    }
    row.forEach((v, j) => {
      const td = el("td", "cell", cut(v, data.max_cell_chars));
      if (String(v).length > data.max_cell_chars) td.title = v;
      td.dataset.col = j;
      tr.appendChild(td);
    });
    table.appendChild(tr);
  });
  wrap.appendChild(table);
  if (data.n_rows > data.rows.length) {
    wrap.appendChild(el("div", "note", `first ${data.rows.length} of ${data.n_rows} rows`));
  }
  return wrap;
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  const live = players.get(parentElement) || { playing: false, timer: null, due: 0, current: 1, seen: 1 };
  players.set(parentElement, live);
  clearTimeout(live.timer); // the last render's timer: this render schedules its own
  live.timer = null;
  let root = parentElement.querySelector(".npx-player");
  if (!root) {
    root = el("div", "npx-player");
    parentElement.appendChild(root);
  }
  root.replaceChildren();
  if (!data || !Array.isArray(data.steps) || data.steps.length === 0) return undefined;
  const steps = data.steps;
  const T = steps.length;
  const speeds = Array.isArray(data.speeds) && data.speeds.length ? data.speeds : [{ label: "1×", ms: 1000 }];
  live.ms = live.ms || storedMs(speeds, speeds[Math.min(data.speed || 0, speeds.length - 1)].ms);
  const fromPage = Math.min(Math.max(data.current || 1, 1), T);
  // Play's reruns come back in order, each with a step it sent (from `seen` to `current`): then it goes on, from
  // where it is (perhaps further on). Any other step is the page's (Back, Next, the slider): Play stops there.
  if (live.playing && fromPage >= live.seen && fromPage <= live.current && live.current <= T) {
    live.seen = fromPage;
  } else {
    live.playing = false;
  }
  const state = { current: live.playing ? live.current : fromPage, hover: null };

  const bar = el("div", "bar");
  const play = el("button", "play", "▶ Play");
  play.type = "button";
  play.dataset.role = "play";
  const status = el("span", "status");
  status.dataset.role = "status";
  const speed = el("select", "speed");
  speed.dataset.role = "speed";
  speed.title = "Play's speed";
  for (const s of speeds) {
    const option = el("option", null, s.label);
    option.value = String(s.ms);
    speed.appendChild(option);
  }
  speed.value = String(live.ms);
  bar.append(play, speed, status, el("span", "hint", "Hover or click a step in any view; Play walks through them."));

  const body = el("div", "body");
  const left = el("div", "left");
  left.append(el("div", "grid-title", "Program"), programList(data));
  const grids = el("div", "grids");
  grids.append(
    grid("Operation × step", data.ops, steps, (s, i) => s.p_op[i] || 0, (s, i) => data.ops[i] === s.op),
    grid("Column × step", data.columns, steps, (s, j) => s.p_col[j] || 0, (s, j) => s.column_index === j),
  );
  left.appendChild(grids);
  const right = el("div", "right");
  const caption = el("div", "caption");
  caption.dataset.role = "caption";
  right.append(caption, tableView(data));
  body.append(left, right);
  root.append(bar, body);
  const marked = Array.from(root.querySelectorAll("[data-step]"));
  const cells = Array.from(root.querySelectorAll("td.cell"));
  const heads = Array.from(root.querySelectorAll("th.col"));

  function render() {
    const shown = state.hover ?? state.current;
    const s = steps[shown - 1];
    const reads = s.reads.kind === "rows" ? s.reads.steps : [];
    root.dataset.current = state.current;
    root.dataset.shown = shown;
    for (const node of marked) {
      const t = Number(node.dataset.step);
      node.classList.toggle("cur", t === state.current);
      node.classList.toggle("hov", t === state.hover);
      node.classList.toggle("read", reads.includes(t));
    }
    const printed = new Set(s.cells.map(([r, c]) => `${r},${c}`));
    for (const td of cells) {
      const r = Number(td.parentElement.dataset.row);
      const j = Number(td.dataset.col);
      const w = s.rows[r] || 0;
      td.classList.toggle("printed", printed.has(`${r},${j}`));
      td.classList.toggle("used", j === s.column_index);
      td.style.background = printed.has(`${r},${j}`) ? "" : blue(w);
      td.style.color = w > 0.55 ? "white" : "";
    }
    for (const th of heads) th.classList.toggle("used", Number(th.dataset.col) === s.column_index);
    const input = reads.length ? ` · reads the rows of ${reads.map((t) => (t >= 1 ? `t${t}` : "start")).join(" and ")}`
      : s.reads.kind === "scalars" ? ` · reads the scalars of ${s.reads.steps.map((t) => (t >= 1 ? `t${t}` : "start")).join(" and ")}`
        : s.reads.kind === "column" ? " · reads its whole column" : "";
    caption.textContent = `${s.line}${input} → ${s.output}`;
    status.textContent = `${steps[state.current - 1].name} of ${T}` + (state.hover ? ` (showing ${s.name})` : "");
    play.textContent = live.playing ? "❚❚ Pause" : "▶ Play";
  }

  function send(t) { // the page's step follows: Python's on_pick sets it, and the rerun draws the page at t
    if (setTriggerValue) setTriggerValue("picked", t);
  }

  function stop() {
    clearTimeout(live.timer);
    live.timer = null;
    live.playing = false;
  }

  function schedule() {
    live.timer = setTimeout(advance, Math.max(0, live.due - Date.now()));
  }

  function advance() {
    state.current = live.current = Math.min(state.current + 1, T);
    live.due = Date.now() + live.ms;
    if (state.current >= T) stop();
    send(state.current);
    render();
    if (live.playing) schedule();
  }

  play.addEventListener("click", () => {
    if (live.playing) {
      stop();
    } else {
      if (state.current >= T) {
        state.current = 1;
        send(1);
      }
      live.playing = true;
      live.current = live.seen = state.current;
      live.due = Date.now() + live.ms;
      schedule();
    }
    render();
  });
  speed.addEventListener("change", () => {
    live.ms = Number(speed.value);
    storeMs(live.ms);
    if (live.playing) { // the step on screen now lasts the new time
      clearTimeout(live.timer);
      live.due = Date.now() + live.ms;
      schedule();
    }
  });
  function pick(t) {
    stop();
    state.current = t;
    render();
    send(t);
  }
  for (const node of marked) {
    const t = Number(node.dataset.step);
    const enter = () => { state.hover = t; render(); };
    const leave = () => { if (state.hover === t) state.hover = null; render(); };
    node.addEventListener("mouseenter", enter);
    node.addEventListener("mouseleave", leave);
    node.addEventListener("click", () => pick(t));
    if (node.tagName === "LI") { // the program lines are the keyboard's way in: Tab to a step, Enter picks it
      node.tabIndex = 0;
      node.setAttribute("role", "button");
      node.addEventListener("focus", enter);
      node.addEventListener("blur", leave);
      node.addEventListener("keydown", (e) => {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); pick(t); }
      });
    }
  }
  render();
  if (live.playing) schedule(); // Play goes on through the rerun its last step caused
  return () => clearTimeout(live.timer); // the component left the page
}

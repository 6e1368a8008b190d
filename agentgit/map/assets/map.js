// The map's drawing: the landscape's JSON (in the page) into SVG, then the terrain and
// the runs (terrain.js, runs.js, joined before this file into the page's one script). Every text from the
// history (titles, summaries, questions) is set with textContent, never parsed as HTML.
// It writes how it went into <body data-status>, which a test can read back.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var OUTCOMES = ["crystallized", "abandoned", "needs-review", "in-review", "open", "interrupted"];
  var body = document.body;

  function fail(message) {
    body.dataset.status = "error";
    body.dataset.error = message;
    var p = document.getElementById("problem");
    p.hidden = false;
    p.textContent = "The map could not be drawn: " + message;
  }
  window.addEventListener("error", function (e) { fail(String(e.message)); });

  function el(tag, attrs, parent) {
    var node = document.createElementNS(SVG, tag);
    for (var k in attrs) node.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(node);
    return node;
  }
  function html(tag, text, parent, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    if (cls) node.className = cls;
    if (parent) parent.appendChild(node);
    return node;
  }
  function num(n) { return String(n).padStart(4, "0"); }
  function money(c) { return c === undefined || c === null ? "unknown" : "$" + c.toFixed(4); }
  function outcomeClass(o) { return "o-" + (OUTCOMES.indexOf(o) >= 0 ? o : "other"); }

  function draw(data) {
    var sessions = data.sessions, n = sessions.length;
    var chart = document.getElementById("chart"), details = document.getElementById("details");
    legend(sessions);
    if (!n) {
      html("p", "No sessions yet: run `agentgit session`, then `agentgit map` again.", chart);
      return [0, 0, 0];
    }
    var L = 120, R = 14, W = Math.max(640, chart.clientWidth || 960), plotW = W - L - R;
    var step = plotW / n, markW = Math.max(1, Math.min(step * 0.8, 14));
    function x(i) { return L + (i + 0.5) * step; }
    var index = {};
    sessions.forEach(function (s, i) { index[s.session] = i; });

    var lane = { top: 26, h: 26 }, nov = { top: 78, h: 130 }, cost = { top: 240, h: 80 };
    var questions = data.questions, packed = pack(questions, index, n);
    var qTop = 356, laneH = 12, H = qTop + Math.max(1, packed.lanes) * laneH + 24;
    var svg = el("svg", { width: W, height: H, role: "img", "aria-label": "sessions over time" }, chart);

    axis(svg, sessions, x, L, W);
    // Outcomes: one path per outcome, a bar per session (thousands of sessions stay light).
    label(svg, "sessions", lane.top + lane.h / 2 + 4, "by outcome");
    drawOutcomes(svg, sessions, x, lane, markW, step, L);

    var pieces = drawNovelty(svg, sessions, x, nov, L, W);
    drawCost(svg, sessions, x, cost, markW, L, W);
    label(svg, "questions", qTop - 8, questions.length ? questions.length + " lifelines" : "none recorded");
    drawQuestions(svg, questions, packed, index, x, qTop, laneH, n);

    var cursor = el("line", { x1: 0, x2: 0, y1: lane.top - 4, y2: H - 20, "class": "cursor" }, svg);
    var overlay = el("rect", { x: L, y: 0, width: plotW, height: H, "class": "overlay" }, svg);
    var pinned = n - 1, hot = null;
    var wanted = /session=(\d+)/.exec(location.hash);
    if (wanted && index[+wanted[1]] !== undefined) pinned = index[+wanted[1]];

    function at(e) {
      var box = svg.getBoundingClientRect();
      var px = e.clientX - box.left, py = e.clientY - box.top;
      var i = Math.max(0, Math.min(n - 1, Math.floor((px - L) / step)));
      var q = null;
      if (py >= qTop) {
        var row = packed.rows[Math.floor((py - qTop) / laneH)] || [];
        q = row.find(function (item) { return px >= item.x0 - 4 && px <= item.x1 + 4; }) || null;
      }
      return { i: i, q: q };
    }
    function show(i, q) {
      if (hot) hot.classList.remove("q-hot");
      hot = q ? q.node : null;
      if (hot) hot.classList.add("q-hot");
      cursor.setAttribute("x1", x(i));
      cursor.setAttribute("x2", x(i));
      if (q) showQuestion(details, q.question, sessions, index);
      else showSession(details, sessions[i], data.byQuestion[sessions[i].session] || []);
    }
    overlay.addEventListener("mousemove", function (e) { var h = at(e); show(h.i, h.q); });
    overlay.addEventListener("mouseleave", function () { show(pinned, null); });
    overlay.addEventListener("click", function (e) {
      var h = at(e);
      pinned = h.i;
      history.replaceState(null, "", "#session=" + sessions[pinned].session);
      show(h.i, h.q);
    });
    document.addEventListener("keydown", function (e) {
      if (e.key !== "ArrowLeft" && e.key !== "ArrowRight") return;
      pinned = Math.max(0, Math.min(n - 1, pinned + (e.key === "ArrowLeft" ? -1 : 1)));
      show(pinned, null);
    });
    show(pinned, null);
    return [n, pieces, questions.length];
  }

  // A bar per session; where sessions are denser than 3 px, a column per 3 px instead,
  // split by outcome in proportion (bars painted over each other would show only the last).
  function drawOutcomes(svg, sessions, x, box, markW, step, L) {
    var paths = {}, n = sessions.length;
    function add(o, x0, y0, w, h) { var cls = outcomeClass(o); (paths[cls] = paths[cls] || []).push(bar(x0, y0, w, h)); }
    if (step >= 3) {
      sessions.forEach(function (s, i) { add(s.outcome, x(i) - markW / 2, box.top, markW, box.h); });
    } else {
      var per = Math.ceil(3 / step);
      for (var start = 0; start < n; start += per) {
        var counts = {}, end = Math.min(n, start + per), y = box.top;
        for (var i = start; i < end; i++) counts[sessions[i].outcome] = (counts[sessions[i].outcome] || 0) + 1;
        OUTCOMES.concat(Object.keys(counts)).forEach(function (o) {
          if (!counts[o]) return;
          var h = counts[o] / (end - start) * box.h;
          add(o, L + start * step, y, (end - start) * step, h);
          y += h;
          counts[o] = 0;
        });
      }
    }
    Object.keys(paths).forEach(function (cls) { el("path", { d: paths[cls].join(""), "class": cls }, svg); });
  }

  function finish(counts, terrain, runs) {
    if (body.dataset.status === "error") return;
    body.dataset.sessions = counts[0];
    body.dataset.pieces = counts[1];
    body.dataset.questions = counts[2];
    body.dataset.terrainPieces = terrain.pieces;
    body.dataset.terrainSessions = terrain.sessions;
    body.dataset.runs = runs;
    body.dataset.status = "drawn";
  }

  function bar(x0, y0, w, h) { return "M" + x0.toFixed(2) + " " + y0.toFixed(2) + "h" + w.toFixed(2) + "v" + h.toFixed(2) + "h" + (-w).toFixed(2) + "z"; }
  function dot(cx, cy, r) { return "M" + (cx - r).toFixed(2) + " " + cy.toFixed(2) + "a" + r + " " + r + " 0 1 0 " + 2 * r + " 0a" + r + " " + r + " 0 1 0 " + -2 * r + " 0"; }
  function label(svg, name, y, sub) {
    el("text", { x: 4, y: y, "class": "panel" }, svg).textContent = name;
    if (sub) el("text", { x: 4, y: y + 13 }, svg).textContent = sub;
  }
  function grid(svg, y, L, W, text) {
    el("line", { x1: L, x2: W - 14, y1: y, y2: y, "class": "grid" }, svg);
    if (text) el("text", { x: L - 6, y: y + 4, "text-anchor": "end" }, svg).textContent = text;
  }

  function axis(svg, sessions, x, L, W) {
    var n = sessions.length, ticks = Math.min(n, Math.max(2, Math.floor((W - L) / 170)));
    for (var t = 0; t < ticks; t++) {
      var i = ticks === 1 ? 0 : Math.round(t * (n - 1) / (ticks - 1)), s = sessions[i];
      var text = num(s.session) + (s.date ? " · " + s.date.slice(0, 10) : "");
      el("text", { x: x(i), y: 14, "text-anchor": t === 0 ? "start" : t === ticks - 1 ? "end" : "middle" }, svg).textContent = text;
    }
  }

  function drawNovelty(svg, sessions, x, box, L, W) {
    label(svg, "novelty", box.top + 22, "of kept pieces");
    grid(svg, box.top, L, W, "1 new");
    grid(svg, box.top + box.h / 2, L, W, "0.5");
    grid(svg, box.top + box.h, L, W, "0 mapped");
    var r = sessions.length > 600 ? 1.6 : 3.5, d = [], scores = [], mean = [], unscored = 0;
    sessions.forEach(function (s, i) {
      var kept = s.outcome === "crystallized";
      var measured = (s.novelty || []).filter(function (v) { return typeof v.score === "number"; });
      if (kept && (s.pieces || []).length > measured.length) unscored += s.pieces.length - measured.length;
      measured.forEach(function (v) {
        var y = box.top + (1 - v.score) * box.h;
        d.push(dot(x(i), y, r));
        scores.push(v.score);
      });
      if (measured.length) {
        var last = scores.slice(-10), m = last.reduce(function (a, b) { return a + b; }, 0) / last.length;
        mean.push(x(i).toFixed(2) + "," + (box.top + (1 - m) * box.h).toFixed(2));
      }
    });
    if (mean.length > 1) el("polyline", { points: mean.join(" "), "class": "mean" }, svg);
    if (d.length) el("path", { d: d.join(""), "class": "piece" }, svg);
    var note = scores.length ? "line: mean of the last 10" : "no novelty recorded yet";
    if (unscored) note += " · " + unscored + " kept without a score";
    el("text", { x: L + 4, y: box.top + box.h + 14 }, svg).textContent = note;
    return scores.length;
  }

  function drawCost(svg, sessions, x, box, markW, L, W) {
    var max = 0;
    sessions.forEach(function (s) { if (typeof s.cost_usd === "number" && s.cost_usd > max) max = s.cost_usd; });
    label(svg, "cost", box.top + 12, "per session, USD");
    grid(svg, box.top, L, W, max ? "$" + max.toFixed(2) : "");
    grid(svg, box.top + box.h, L, W, "$0");
    var d = [], unknown = [];
    sessions.forEach(function (s, i) {
      if (typeof s.cost_usd !== "number") {
        unknown.push(bar(x(i) - markW / 2, box.top + box.h + 2, markW, 4));
        return;
      }
      var h = max ? Math.max(0.5, s.cost_usd / max * box.h) : 0.5;
      d.push(bar(x(i) - markW / 2, box.top + box.h - h, markW, h));
    });
    if (d.length) el("path", { d: d.join(""), "class": "cost" }, svg);
    if (unknown.length) el("path", { d: unknown.join(""), "class": "cost-unknown" }, svg);
  }

  // Lifelines packed into as few rows as possible: a row holds lifelines that do not overlap.
  function pack(questions, index, n) {
    var rows = [], ends = [];
    questions.forEach(function (q) {
      var known = q.events.filter(function (e) { return index[e.session] !== undefined; });
      if (!known.length) return;
      var first = index[known[0].session], last = index[known[known.length - 1].session];
      var live = q.state === "open" || q.state === "pursued" || q.state === "possibly-dead";
      var item = { question: q, first: first, last: last, end: live ? n - 1 : last, steps: known };
      var row = ends.findIndex(function (e) { return e < first - 1; });
      if (row < 0) { row = rows.length; rows.push([]); ends.push(-1); }
      rows[row].push(item);
      ends[row] = item.end;
      item.row = row;
    });
    return { rows: rows, lanes: rows.length };
  }

  function drawQuestions(svg, questions, packed, index, x, top, laneH, n) {
    var r = n > 600 ? 1.5 : 3;
    packed.rows.forEach(function (row, k) {
      var y = top + k * laneH + laneH / 2;
      row.forEach(function (item) {
        var q = item.question;
        item.x0 = x(item.first);
        item.x1 = x(item.end);
        item.node = el("line", { x1: item.x0, x2: Math.max(x(item.last), item.x0 + 1), y1: y, y2: y, "class": "q q-" + q.state }, svg);
        if (item.end > item.last) el("line", { x1: x(item.last), x2: item.x1, y1: y, y2: y, "class": "q q-carried q-" + q.state }, svg);
        var steps = { "q-step": [], "q-step-answered": [], "q-step-dropped": [] };
        item.steps.forEach(function (e) {
          var cls = e.status === "answered" ? "q-step-answered" : e.status === "dropped" ? "q-step-dropped" : "q-step";
          steps[cls].push(dot(x(index[e.session]), y, e.status === "open" ? r + 0.5 : r));
        });
        Object.keys(steps).forEach(function (cls) { if (steps[cls].length) el("path", { d: steps[cls].join(""), "class": cls }, svg); });
      });
    });
  }

  function legend(sessions) {
    var counts = {}, box = document.getElementById("legend");
    sessions.forEach(function (s) { counts[s.outcome] = (counts[s.outcome] || 0) + 1; });
    Object.keys(counts).sort(function (a, b) { return OUTCOMES.indexOf(a) - OUTCOMES.indexOf(b); }).forEach(function (o) {
      var item = html("span", null, box);
      html("span", null, item, "swatch " + outcomeClass(o));
      item.appendChild(document.createTextNode(o + " " + counts[o]));
    });
    var lines = html("span", "questions:", box);
    lines.className = "lines";
    [["answered", "answered"], ["dropped", "dropped"], ["possibly-dead", "possibly dead"], ["pursued", "open or pursued (dashed: carried since)"]].forEach(function (q) {
      var item = html("span", null, box);
      html("span", null, item, "swatch qs-" + q[0]);
      item.appendChild(document.createTextNode(q[1]));
    });
  }

  function row(dl, name, value) {
    if (value === undefined || value === null || value === "") return;
    html("dt", name, dl);
    html("dd", value, dl);
  }

  function showSession(box, s, touched) {
    box.replaceChildren();
    var head = html("h2", "Session " + num(s.session) + " · ", box);
    var tag = html("span", s.outcome, head);
    tag.className = "outcome";
    html("p", s.title, box, "title");
    var dl = html("dl", null, box);
    row(dl, "ended", s.date);
    row(dl, "turns", String(s.turns || 0));
    row(dl, "cost", money(s.cost_usd));
    row(dl, "reason", s.reason);
    row(dl, "branch", s.branch);
    row(dl, "main", s.commit ? s.commit.slice(0, 12) : "");
    row(dl, "head", s.head ? s.head.slice(0, 12) : "");
    if ((s.pieces || []).length) {
      html("h3", "Pieces", box);
      var ul = html("ul", null, box), scored = {};
      (s.novelty || []).forEach(function (v) { scored[v.piece] = v; });
      s.pieces.forEach(function (p) {
        var v = scored[p], text = p;
        if (v && typeof v.score === "number") {
          text += " — novelty " + v.score.toFixed(3);
          if (v.nearest) text += " (nearest " + v.nearest + (typeof v.similarity === "number" ? ", similarity " + v.similarity.toFixed(3) : "") + ")";
        }
        var li = html("li", text, ul);
        if (v && v.overlap) html("p", "says beyond its neighbour: " + v.overlap, li, "hint");
      });
    }
    if (s.summary) { html("h3", "Summary", box); html("p", s.summary, box); }
    if ((s.steps || []).length) {
      html("h3", "Commits", box);
      var ol = html("ol", null, box);
      s.steps.forEach(function (step) { html("code", step, html("li", null, ol)); });
      if (s.more_steps) html("p", "and " + s.more_steps + " more", box, "hint");
    }
    if (touched.length) {
      html("h3", "Questions", box);
      var qs = html("ul", null, box);
      touched.forEach(function (t) { html("li", t[1] + ": " + t[0], qs); });
    }
    html("p", "Hover a mark for its session, click to keep it here, ← → to step.", box, "hint");
  }

  function showQuestion(box, q, sessions, index) {
    box.replaceChildren();
    html("h2", "Question · " + q.state, box);
    html("p", q.text, box, "title");
    var dl = html("dl", null, box);
    row(dl, "id", q.id);
    q.events.forEach(function (e) { row(dl, e.status, "session " + num(e.session)); });
    row(dl, "why", q.why);
    row(dl, "pieces", (q.pieces || []).join(", "));
    if (q.state === "possibly-dead") html("p", "Pursued again and again without an answer: carried, not pulling.", box, "hint");
  }

  try {
    var data = JSON.parse(document.getElementById("landscape").textContent);
    data.byQuestion = {};
    data.questions.forEach(function (q) {
      q.events.forEach(function (e) { (data.byQuestion[e.session] = data.byQuestion[e.session] || []).push([q.text, e.status]); });
    });
    // The panels below (terrain.js, runs.js, in this same script) draw after the
    // timeline; the page is "drawn" only when all three are.
    var counts = draw(data);
    var terrain = agentgitTerrain.draw(data.terrain);
    finish(counts, terrain, agentgitRuns.draw(data.runs, data.metric));
  } catch (e) {
    fail(String((e && e.message) || e));
  }
})();

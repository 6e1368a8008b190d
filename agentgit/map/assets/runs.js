// The map's chart of experiment runs (DESIGN §10): every run of every session as a point,
// sessions side by side in the order they ran, and the running best as a step line
// (autoresearch's progress chart, over the whole history). On a canvas, for 10,000 runs;
// a hover finds the nearest run by its column, not by asking every point.
var agentgitRuns = (function () {
  "use strict";
  var COLOURS = { keep: "#2f9e44", discard: "#adb5bd", crash: "#e03131", timeout: "#f59f00" };
  var STATUSES = ["keep", "discard", "crash", "timeout"];
  var api = { at: null };

  function html(tag, text, parent, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    if (cls) node.className = cls;
    if (parent) parent.appendChild(node);
    return node;
  }
  function inView(node) {
    var box = node.getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight) node.scrollIntoView({ block: "center" });
  }
  function num(n) { return String(n).padStart(4, "0"); }
  function count(n, one, many) { return n.toLocaleString() + " " + (n === 1 ? one : many); }
  function fmt(v) { return typeof v === "number" ? String(+v.toPrecision(6)) : "none"; }

  // Lower or higher is better: the metric's setting where the page has it, else what the
  // keeps did (each keep beat the best before it, so their trend says the direction).
  function direction(runs, metric) {
    if (metric && (metric.direction === "lower" || metric.direction === "higher")) return metric.direction;
    var keeps = runs.filter(function (r) { return r.status === "keep" && typeof r.value === "number"; });
    if (keeps.length < 2) return "lower";
    return keeps[keeps.length - 1].value > keeps[0].value ? "higher" : "lower";
  }

  function draw(runs, metric) {
    runs = runs || [];
    var panel = document.getElementById("runs-panel"), note = document.getElementById("runs-note");
    var canvas = document.getElementById("runs"), details = document.getElementById("run-details");
    panel.dataset.runs = runs.length;
    if (!runs.length) {
      note.textContent = "No experiment runs: a repository with a [metric] table records them (agentgit experiments).";
      canvas.hidden = true;
      details.hidden = true;
      return 0;
    }
    var dir = direction(runs, metric), better = dir === "lower" ? Math.min : Math.max;
    var best = null, steps = [], sessions = [], counts = {};
    runs.forEach(function (r, i) {
      counts[r.status] = (counts[r.status] || 0) + 1;
      if (!sessions.length || sessions[sessions.length - 1].session !== r.session) sessions.push({ session: r.session, first: i, last: i });
      sessions[sessions.length - 1].last = i;
      if (r.status === "keep" && typeof r.value === "number") {
        best = best === null ? r.value : better(best, r.value);
        steps.push([i, best]);
      }
      r.best = best;
    });
    panel.dataset.best = best === null ? "" : String(best);
    var name = (metric && metric.name) || "value";
    note.textContent = count(runs.length, "run", "runs") + " in " + count(sessions.length, "session", "sessions") + ": " +
      STATUSES.filter(function (s) { return counts[s]; }).map(function (s) { return counts[s] + " " + s; }).join(", ") +
      " · " + name + ", " + dir + " is better" + (best === null ? "" : " · best " + fmt(best));
    legend();

    var W = Math.max(480, canvas.parentNode.clientWidth || 760), H = 280, L = 64, R = 12, T = 14, B = 40;
    var ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(W * ratio);
    canvas.height = Math.round(H * ratio);
    canvas.style.width = W + "px";
    canvas.style.height = H + "px";
    var lo = Infinity, hi = -Infinity;
    runs.forEach(function (r) { if (typeof r.value === "number") { lo = Math.min(lo, r.value); hi = Math.max(hi, r.value); } });
    if (lo === Infinity) { lo = 0; hi = 1; }
    if (lo === hi) { lo -= 0.5; hi += 0.5; }
    var margin = (hi - lo) * 0.06;
    lo -= margin; hi += margin;
    var n = runs.length, step = (W - L - R) / n, strip = H - B + 10;  // runs without a value
    function x(i) { return L + (i + 0.5) * step; }
    function y(v) { return T + (hi - v) / (hi - lo) * (H - T - B); }
    runs.forEach(function (r, i) { r.px = x(i); r.py = typeof r.value === "number" ? y(r.value) : strip; });

    var base = document.createElement("canvas");
    base.width = canvas.width;
    base.height = canvas.height;
    var g = base.getContext("2d");
    g.scale(ratio, ratio);
    g.fillStyle = "#fff";
    g.fillRect(0, 0, W, H);
    // Sessions as alternating bands, so the points read as a point per session.
    g.fillStyle = "#f8f9fa";
    sessions.forEach(function (s, k) { if (k % 2) g.fillRect(L + s.first * step, T, (s.last - s.first + 1) * step, H - T - B); });
    g.strokeStyle = "#dee2e6";
    g.fillStyle = "#6c757d";
    g.font = "11px system-ui, sans-serif";
    g.textAlign = "right";
    g.textBaseline = "middle";
    [hi - margin, (hi + lo) / 2, lo + margin].forEach(function (v) {
      g.beginPath(); g.moveTo(L, y(v)); g.lineTo(W - R, y(v)); g.stroke();
      g.fillText(fmt(v), L - 6, y(v));
    });
    g.fillText("no value", L - 6, strip);
    g.textAlign = "center";
    var ticks = Math.min(sessions.length, Math.max(2, Math.floor((W - L) / 90)));
    for (var t = 0; t < ticks; t++) {
      var s = sessions[ticks === 1 ? 0 : Math.round(t * (sessions.length - 1) / (ticks - 1))];
      g.fillText(num(s.session), x((s.first + s.last) / 2), H - 8);
    }
    if (steps.length) {  // the running best: flat until the next keep beats it
      g.strokeStyle = "#0b7285";
      g.lineWidth = 2;
      g.beginPath();
      g.moveTo(x(steps[0][0]), y(steps[0][1]));
      for (var k = 1; k < steps.length; k++) {
        g.lineTo(x(steps[k][0]), y(steps[k - 1][1]));
        g.lineTo(x(steps[k][0]), y(steps[k][1]));
      }
      g.lineTo(x(n - 1), y(steps[steps.length - 1][1]));
      g.stroke();
    }
    var radius = n > 2000 ? 1.8 : n > 300 ? 2.6 : 4;
    STATUSES.forEach(function (status) {
      g.fillStyle = COLOURS[status];
      g.beginPath();
      runs.forEach(function (r) {
        if (r.status !== status) return;
        g.moveTo(r.px + radius, r.py);
        g.arc(r.px, r.py, status === "keep" ? radius + 1 : radius, 0, 2 * Math.PI);
      });
      g.fill();
    });

    var ctx = canvas.getContext("2d"), pinned = null;
    function paint(r) {
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.drawImage(base, 0, 0);
      if (!r) return;
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.strokeStyle = "#212529";
      ctx.lineWidth = 2;
      ctx.beginPath(); ctx.arc(r.px, r.py, radius + 4, 0, 2 * Math.PI); ctx.stroke();
    }
    function nearest(px, py) {
      var i = Math.floor((px - L) / step), reach = Math.ceil(8 / step) + 1, found = null, d = 10;
      for (var k = Math.max(0, i - reach); k <= Math.min(n - 1, i + reach); k++) {
        var e = Math.hypot(runs[k].px - px, runs[k].py - py);
        if (e < d) { d = e; found = runs[k]; }
      }
      return found;
    }
    function show(r) {
      paint(r);
      details.replaceChildren();
      if (!r) { html("p", "Hover a point for its run; click to keep it here.", details, "hint"); return; }
      html("h3", "Session " + num(r.session) + " · experiment " + r.experiment + " · " + r.status, details);
      html("p", r.hypothesis || "No hypothesis recorded.", details);
      var dl = html("dl", null, details);
      [[name, fmt(r.value)], ["best so far", fmt(r.best)], ["seconds", typeof r.seconds === "number" ? r.seconds.toFixed(1) : ""], ["commit", (r.commit || "").slice(0, 12)]].forEach(function (pair) {
        if (!pair[1]) return;
        html("dt", pair[0], dl);
        html("dd", pair[1], dl);
      });
    }
    canvas.addEventListener("mousemove", function (e) {
      var box = canvas.getBoundingClientRect(), r = nearest(e.clientX - box.left, e.clientY - box.top);
      show(r || pinned);
    });
    canvas.addEventListener("mouseleave", function () { show(pinned); });
    canvas.addEventListener("click", function (e) {
      var box = canvas.getBoundingClientRect(), r = nearest(e.clientX - box.left, e.clientY - box.top);
      if (r) { pinned = r; show(r); }
    });
    show(null);
    api.at = function (session, experiment) {
      var r = runs.find(function (q) { return q.session === session && q.experiment === experiment; });
      if (!r) return null;
      inView(canvas);
      var box = canvas.getBoundingClientRect();
      return [box.left + r.px, box.top + r.py];
    };
    return runs.length;
  }

  function legend() {
    var box = document.getElementById("runs-legend");
    STATUSES.forEach(function (s) {
      var item = html("span", null, box);
      html("span", null, item, "swatch r-" + s);
      item.appendChild(document.createTextNode(s));
    });
    var item = html("span", null, box);
    html("span", null, item, "swatch r-best");
    item.appendChild(document.createTextNode("running best"));
  }

  api.draw = draw;
  return api;
})();

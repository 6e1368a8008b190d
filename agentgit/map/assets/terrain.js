// The map's terrain (DESIGN §8): every piece at its place, regions labelled, each session
// drawn as its path from what it read to what it wrote, coloured by verdict. On a canvas,
// so 10,000 pieces and 5,000 sessions stay responsive: the picture is painted once into
// an offscreen canvas, a hover only copies it back and draws the picked session on top,
// and picking asks a grid of cells rather than every mark. Every text from the history
// is set with textContent, never parsed as HTML. Beside it, the coverage curve (SVG).
var agentgitTerrain = (function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var VERDICTS = ["exploring", "leaping", "surveying", "wandering", "unknown"];
  var COLOURS = { exploring: "#2b8a3e", leaping: "#1971c2", surveying: "#f08c00", wandering: "#c92a2a", unknown: "#868e96" };
  // Pieces take a soft colour by region, so regions read as patches without shouting
  // over the sessions' paths.
  var PATCHES = ["#a5d8ff", "#b2f2bb", "#ffd8a8", "#eebefa", "#99e9f2", "#ffec99", "#fcc2d7", "#d0bfff", "#c3fae8", "#e9ecef", "#ffc9c9", "#d8f5a2"];
  var CELL = 16, REACH = 6, PAD = 24, LIFT = 14;
  var api = { at: null, pick: null, place: null, side: null, labels: [] };

  function html(tag, text, parent, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    if (cls) node.className = cls;
    if (parent) parent.appendChild(node);
    return node;
  }
  function svgEl(tag, attrs, parent) {
    var node = document.createElementNS(SVG, tag);
    for (var k in attrs) node.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(node);
    return node;
  }
  function inView(node) {
    var box = node.getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight) node.scrollIntoView({ block: "center" });
  }
  function num(n) { return String(n).padStart(4, "0"); }
  function count(n, one, many) { return n.toLocaleString() + " " + (n === 1 ? one : many); }
  function verdictOf(s) { return VERDICTS.indexOf(s.verdict) >= 0 ? s.verdict : "unknown"; }

  function draw(terrain) {
    terrain = terrain || {};
    var pieces = terrain.pieces || [], regions = terrain.regions || [];
    var sessions = terrain.sessions || [], coverage = terrain.coverage || [];
    var panel = document.getElementById("terrain-panel"), note = document.getElementById("terrain-note");
    var canvas = document.getElementById("terrain"), details = document.getElementById("terrain-details");
    panel.dataset.pieces = pieces.length;
    panel.dataset.sessions = sessions.length;
    if (!pieces.length && !sessions.length) {
      note.textContent = "No terrain yet: it is drawn from main's pieces and the sessions' ground (agentgit landscape).";
      canvas.hidden = true;
      document.getElementById("verdict-list").hidden = true;
      return { pieces: 0, sessions: 0 };
    }
    var bySlug = {}, byRegion = {};
    pieces.forEach(function (p) { bySlug[p.slug] = p; });
    regions.forEach(function (r, k) { byRegion[String(r.id)] = r; r.index = k; });

    legend(sessions);
    var counts = {};
    sessions.forEach(function (s) { counts[verdictOf(s)] = (counts[verdictOf(s)] || 0) + 1; });
    var circling = regions.filter(function (r) { return (r.circling || []).length; });
    var text = count(pieces.length, "piece", "pieces") + " in " + count(regions.length, "region", "regions") + " · " +
      count(sessions.length, "session", "sessions") + ": " +
      VERDICTS.filter(function (v) { return counts[v]; }).map(function (v) { return counts[v] + " " + v; }).join(", ");
    if (circling.length) {
      text += " · circling in " + circling.map(function (r) {
        return "“" + (r.words || []).slice(0, 3).join(" ") + "” (sessions " + r.circling.map(num).join(", ") + ")";
      }).join("; ");
    }
    text += ". A retrospect: it says where sessions stood, and judges nothing.";
    note.textContent = text;

    // The plane: the whole unit square the pieces are placed in, the same scale on both
    // axes so that distances mean the same across and down. Never fitted to where the
    // pieces lie: a keep far from the rest would then move every piece drawn before it
    // (by an eighth of the map on a small corpus), where its place moves nothing.
    var W = Math.max(480, canvas.parentNode.clientWidth || 760), H = Math.round(Math.min(720, Math.max(360, W * 0.72)));
    var ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(W * ratio);
    canvas.height = Math.round(H * ratio);
    canvas.style.width = W + "px";
    canvas.style.height = H + "px";
    var side = Math.min(W, H) - 2 * PAD;
    var offX = (W - side) / 2, offY = (H - side) / 2;
    function sx(x) { return offX + Math.min(1, Math.max(0, x)) * side; }
    function sy(y) { return offY + (1 - Math.min(1, Math.max(0, y))) * side; }
    pieces.forEach(function (p) { p.px = sx(p.x); p.py = sy(p.y); });

    // A session's path: from the middle of what it read to the middle of what it wrote.
    // A session that wrote nothing stops where it read; one that read nothing starts
    // where it wrote (leaping). Ground since deleted or renamed has no place, and is
    // named in its reason panel, not drawn.
    sessions.forEach(function (s) {
      s.readAt = middle(s.read || [], bySlug);
      s.wroteAt = middle(s.wrote || [], bySlug);
      s.a = s.readAt || s.wroteAt;
      s.b = s.wroteAt || s.readAt;
    });

    var base = document.createElement("canvas");
    base.width = canvas.width;
    base.height = canvas.height;
    var g = base.getContext("2d");
    g.scale(ratio, ratio);
    g.fillStyle = "#fff";
    g.fillRect(0, 0, W, H);
    var r = pieces.length > 3000 ? 1.6 : pieces.length > 500 ? 2.4 : 4;
    var byColour = {};
    pieces.forEach(function (p) {
      var region = byRegion[String(p.region)], k = region ? region.index : -1;
      var colour = k < 0 ? "#dee2e6" : PATCHES[k % PATCHES.length];
      (byColour[colour] = byColour[colour] || []).push(p);
    });
    Object.keys(byColour).forEach(function (colour) {
      g.fillStyle = colour;
      g.beginPath();
      byColour[colour].forEach(function (p) { g.moveTo(p.px + r, p.py); g.arc(p.px, p.py, r, 0, 2 * Math.PI); });
      g.fill();
    });
    var alpha = sessions.length > 1000 ? 0.22 : sessions.length > 200 ? 0.45 : 0.85;
    VERDICTS.forEach(function (v) {
      var these = sessions.filter(function (s) { return s.a && verdictOf(s) === v; });
      if (!these.length) return;
      g.strokeStyle = COLOURS[v];
      g.fillStyle = COLOURS[v];
      g.globalAlpha = alpha;
      g.lineWidth = 1.2;
      g.beginPath();
      these.forEach(function (s) { g.moveTo(s.a[0], s.a[1]); g.lineTo(s.b[0], s.b[1]); });
      g.stroke();
      g.globalAlpha = Math.min(1, alpha + 0.2);
      g.beginPath();
      these.forEach(function (s) { g.moveTo(s.b[0] + 2.5, s.b[1]); g.arc(s.b[0], s.b[1], 2.5, 0, 2 * Math.PI); });
      g.fill();
    });
    g.globalAlpha = 1;
    api.labels = labels(g, regions, pieces, byRegion);

    var grid = index(sessions, pieces, W, H);
    var ctx = canvas.getContext("2d"), picked = null;
    function paint(s) {
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.drawImage(base, 0, 0);
      if (!s || !s.a) return;
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      var colour = COLOURS[verdictOf(s)];
      ctx.strokeStyle = colour;
      ctx.lineWidth = 1;
      (s.read || []).forEach(function (slug) {  // spokes to each piece it read
        var p = bySlug[slug];
        if (!p) return;
        ctx.beginPath(); ctx.moveTo(s.a[0], s.a[1]); ctx.lineTo(p.px, p.py); ctx.stroke();
        ctx.beginPath(); ctx.arc(p.px, p.py, 4.5, 0, 2 * Math.PI); ctx.stroke();
      });
      ctx.lineWidth = 3;
      ctx.beginPath(); ctx.moveTo(s.a[0], s.a[1]); ctx.lineTo(s.b[0], s.b[1]); ctx.stroke();
      ctx.fillStyle = colour;
      (s.wrote || []).forEach(function (slug) {
        var p = bySlug[slug];
        if (p) { ctx.beginPath(); ctx.arc(p.px, p.py, 5, 0, 2 * Math.PI); ctx.fill(); }
      });
      ctx.beginPath(); ctx.arc(s.b[0], s.b[1], 4, 0, 2 * Math.PI); ctx.fill();
    }

    var rows = table(sessions, function (s) { pick(s); });
    function pick(s) {
      if (picked && rows[picked.session]) rows[picked.session].classList.remove("picked");
      picked = s;
      if (s && rows[s.session]) rows[s.session].classList.add("picked");
      paint(s);
      if (s) showSession(details, s, bySlug);
    }
    function hover(e) {
      var box = canvas.getBoundingClientRect(), hit = find(grid, sessions, pieces, e.clientX - box.left, e.clientY - box.top);
      if (hit && hit.session) { paint(hit.session); showSession(details, hit.session, bySlug); }
      else if (hit && hit.piece) { paint(picked); showPiece(details, hit.piece, byRegion, sessions); }
      else restore();
      canvas.title = hit && hit.session ? "Session " + num(hit.session.session) + " · " + verdictOf(hit.session) : "";
    }
    function restore() {
      paint(picked);
      if (picked) showSession(details, picked, bySlug);
      else hint(details);
    }
    canvas.addEventListener("mousemove", hover);
    canvas.addEventListener("mouseleave", restore);
    canvas.addEventListener("click", function (e) {
      var box = canvas.getBoundingClientRect(), hit = find(grid, sessions, pieces, e.clientX - box.left, e.clientY - box.top);
      if (hit && hit.session) pick(hit.session);
    });
    restore();
    coverageCurve(document.getElementById("coverage"), coverage);

    // For a reader (and a test) to find a session on the canvas: its path's end, in the
    // window's coordinates; and to pick one by number.
    api.at = function (number) {
      var s = sessions.find(function (t) { return t.session === number; });
      if (!s || !s.b) return null;
      inView(canvas);
      var box = canvas.getBoundingClientRect();
      return [box.left + s.b[0], box.top + s.b[1]];
    };
    // Where a piece is drawn, in the canvas's own pixels, and the plane's side: what a
    // reader comparing two maps of one corpus needs to see that nothing moved.
    api.place = function (slug) {
      var p = bySlug[slug];
      return p ? [p.px, p.py] : null;
    };
    api.side = side;
    api.pick = function (number) { pick(sessions.find(function (t) { return t.session === number; }) || null); };
    return { pieces: pieces.length, sessions: sessions.length };
  }

  function middle(slugs, bySlug) {
    var x = 0, y = 0, n = 0;
    slugs.forEach(function (slug) { var p = bySlug[slug]; if (p) { x += p.px; y += p.py; n++; } });
    return n ? [x / n, y / n] : null;
  }

  // Labels just above each region's middle (at the middle, a small region's label would
  // hide its pieces and the paths that end there), the largest regions first; one that
  // would overlap a label already set is left out (its pieces still say their region
  // when hovered). Returns the labels set (region, text, where), for a reader to ask.
  function labels(g, regions, pieces, byRegion) {
    var sums = {};
    pieces.forEach(function (p) {
      var key = String(p.region);
      if (!byRegion[key]) return;
      var t = sums[key] = sums[key] || { x: 0, y: 0, n: 0 };
      t.x += p.px; t.y += p.py; t.n++;
    });
    var order = regions.filter(function (r) { return sums[String(r.id)]; });
    order.sort(function (a, b) { return sums[String(b.id)].n - sums[String(a.id)].n; });
    var placed = [], set = [];
    g.font = "600 12px system-ui, sans-serif";
    g.textAlign = "center";
    g.textBaseline = "middle";
    g.lineJoin = "round";
    order.slice(0, 60).forEach(function (region) {
      var t = sums[String(region.id)], words = (region.words || []).slice(0, 3).join(" ") || "region " + region.id;
      if ((region.circling || []).length) words += " ↻";
      var x = t.x / t.n, y = Math.max(10, t.y / t.n - LIFT), w = g.measureText(words).width + 8, h = 16;
      var box = [x - w / 2, y - h / 2, x + w / 2, y + h / 2];
      if (placed.some(function (o) { return box[0] < o[2] && o[0] < box[2] && box[1] < o[3] && o[1] < box[3]; })) return;
      placed.push(box);
      g.strokeStyle = "rgba(255,255,255,.9)";
      g.lineWidth = 4;
      g.strokeText(words, x, y);
      g.fillStyle = (region.circling || []).length ? "#c92a2a" : "#343a40";
      g.fillText(words, x, y);
      set.push({ region: region.id, text: words, x: x, y: y });
    });
    return set;
  }

  // The grid: for each cell of CELL px, the sessions whose path crosses it and the pieces
  // inside it. A pick looks at its cell and the eight around it.
  function index(sessions, pieces, W, H) {
    var cols = Math.ceil(W / CELL) + 1, rows = Math.ceil(H / CELL) + 1;
    var cells = { cols: cols, rows: rows, s: new Map(), p: new Map() };
    function add(map, cx, cy, k) {
      if (cx < 0 || cy < 0 || cx >= cols || cy >= rows) return;
      var key = cy * cols + cx, list = map.get(key);
      if (!list) map.set(key, list = []);
      if (list[list.length - 1] !== k) list.push(k);
    }
    sessions.forEach(function (s, k) {
      if (!s.a) return;
      var dx = s.b[0] - s.a[0], dy = s.b[1] - s.a[1], steps = Math.max(1, Math.ceil(Math.hypot(dx, dy) / (CELL / 2)));
      for (var i = 0; i <= steps; i++) {
        add(cells.s, Math.floor((s.a[0] + dx * i / steps) / CELL), Math.floor((s.a[1] + dy * i / steps) / CELL), k);
      }
    });
    pieces.forEach(function (p, k) { add(cells.p, Math.floor(p.px / CELL), Math.floor(p.py / CELL), k); });
    return cells;
  }

  function find(cells, sessions, pieces, x, y) {
    var cx = Math.floor(x / CELL), cy = Math.floor(y / CELL), best = null, bestD = REACH, piece = null, pieceD = REACH;
    for (var i = -1; i <= 1; i++) {
      for (var j = -1; j <= 1; j++) {
        var key = (cy + j) * cells.cols + (cx + i);
        (cells.s.get(key) || []).forEach(function (k) {
          var s = sessions[k], d = toSegment(x, y, s.a, s.b);
          // Later sessions are painted on top; at equal distance, the later one is picked.
          if (d < bestD || (d === bestD && best && s.session > best.session)) { bestD = d; best = s; }
        });
        (cells.p.get(key) || []).forEach(function (k) {
          var p = pieces[k], d = Math.hypot(p.px - x, p.py - y);
          if (d < pieceD) { pieceD = d; piece = p; }
        });
      }
    }
    if (best) return { session: best };
    return piece ? { piece: piece } : null;
  }

  function toSegment(x, y, a, b) {
    var dx = b[0] - a[0], dy = b[1] - a[1], len = dx * dx + dy * dy;
    var t = len ? Math.max(0, Math.min(1, ((x - a[0]) * dx + (y - a[1]) * dy) / len)) : 0;
    return Math.hypot(x - (a[0] + t * dx), y - (a[1] + t * dy));
  }

  // The verdicts in the DOM as well: a table a screen reader (or a test) can read, and a
  // way to pick a session without aiming at the canvas.
  function table(sessions, onPick) {
    var body = document.querySelector("#verdicts tbody"), rows = {};
    var frag = document.createDocumentFragment();
    sessions.forEach(function (s) {
      var tr = html("tr", null, frag);
      tr.dataset.session = s.session;
      tr.dataset.verdict = verdictOf(s);
      html("td", num(s.session), tr);
      html("td", verdictOf(s), tr, "verdict v-" + verdictOf(s));
      html("td", s.why, tr, "why");
      tr.addEventListener("click", function () { onPick(s); });
      rows[s.session] = tr;
    });
    body.appendChild(frag);
    return rows;
  }

  function legend(sessions) {
    var box = document.getElementById("terrain-legend");
    VERDICTS.forEach(function (v) {
      var item = html("span", null, box);
      html("span", null, item, "swatch v-" + v);
      item.appendChild(document.createTextNode(v));
    });
    html("span", "a line runs from what a session read to what it wrote (the dot)", box, "hint");
  }

  function row(dl, name, value) {
    if (value === undefined || value === null || value === "") return;
    html("dt", name, dl);
    html("dd", value, dl);
  }

  function ground(slugs, bySlug) {
    if (!slugs || !slugs.length) return "nothing";
    return slugs.map(function (slug) { return bySlug[slug] ? slug : slug + " (no longer on main)"; }).join(", ");
  }

  function showSession(box, s, bySlug) {
    box.replaceChildren();
    var head = html("h3", "Session " + num(s.session) + " · ", box);
    html("span", verdictOf(s), head, "verdict-name");
    head.lastChild.style.color = COLOURS[verdictOf(s)];
    html("p", s.why || "No reason recorded.", box, "why");
    var dl = html("dl", null, box);
    row(dl, "read", ground(s.read, bySlug));
    row(dl, "wrote", ground(s.wrote, bySlug));
    row(dl, "regions", (s.regions || []).join(", "));
    html("p", "Hover a line for its session, click to keep it here; the table below lists them all.", box, "hint");
  }

  function showPiece(box, p, byRegion, sessions) {
    box.replaceChildren();
    html("h3", p.slug, box);
    var region = byRegion[String(p.region)], dl = html("dl", null, box);
    row(dl, "region", region ? (region.words || []).join(" ") + " (" + region.pieces + " pieces)" : String(p.region));
    if (region && (region.circling || []).length) row(dl, "circling", "sessions " + region.circling.map(num).join(", "));
    var wrote = sessions.filter(function (s) { return (s.wrote || []).indexOf(p.slug) >= 0; }).map(function (s) { return num(s.session); });
    row(dl, "written by", wrote.join(", "));
  }

  function hint(box) {
    box.replaceChildren();
    html("p", "Hover or click a session's line to see its verdict and why.", box, "hint");
  }

  // Coverage over time: regions touched so far (the saturation curve: flat means no new
  // ground), regions founded per session as bars, and the share of kept pieces that
  // founded a region (dashed, 0 to 1).
  function coverageCurve(box, coverage) {
    box.replaceChildren();
    if (!coverage.length) { html("p", "No coverage yet.", box, "hint"); return; }
    var W = 340, H = 170, L = 34, R = 30, T = 20, B = 22, n = coverage.length;
    var svg = svgEl("svg", { width: W, height: H, role: "img", "aria-label": "coverage over time" }, box);
    var top = 1, newTop = 1;
    coverage.forEach(function (c) { top = Math.max(top, c.regions_touched); newTop = Math.max(newTop, c.new_regions); });
    function x(i) { return L + (n === 1 ? 0.5 : i / (n - 1)) * (W - L - R); }
    function y(v, max) { return T + (1 - v / max) * (H - T - B); }
    svgEl("text", { x: 0, y: 12, "class": "panel" }, svg).textContent = "coverage";
    svgEl("line", { x1: L, x2: W - R, y1: y(0, 1), y2: y(0, 1), "class": "grid" }, svg);
    svgEl("line", { x1: L, x2: W - R, y1: T, y2: T, "class": "grid" }, svg);
    svgEl("text", { x: L - 4, y: T + 4, "text-anchor": "end" }, svg).textContent = String(top);
    svgEl("text", { x: L - 4, y: y(0, 1) + 4, "text-anchor": "end" }, svg).textContent = "0";
    svgEl("text", { x: W, y: T + 4, "text-anchor": "end" }, svg).textContent = "100%";  // inside the frame
    var bars = [], w = Math.max(1, (W - L - R) / n * 0.7);
    coverage.forEach(function (c, i) {
      if (!c.new_regions) return;
      var h = c.new_regions / newTop * (H - T - B) * 0.35;
      bars.push("M" + (x(i) - w / 2).toFixed(1) + " " + (y(0, 1) - h).toFixed(1) + "h" + w.toFixed(1) + "v" + h.toFixed(1) + "h" + (-w).toFixed(1) + "z");
    });
    if (bars.length) svgEl("path", { d: bars.join(""), "class": "new-region" }, svg);
    var line = coverage.map(function (c, i) { return x(i).toFixed(1) + "," + y(c.regions_touched, top).toFixed(1); });
    svgEl(n > 1 ? "polyline" : "polyline", { points: line.join(" ") + (n === 1 ? " " + line[0] : ""), "class": "coverage" }, svg);
    var shares = coverage.filter(function (c) { return typeof c.founded_share === "number"; });
    if (shares.length) {
      var pts = coverage.map(function (c, i) { return typeof c.founded_share === "number" ? x(i).toFixed(1) + "," + y(c.founded_share, 1).toFixed(1) : null; }).filter(Boolean);
      svgEl("polyline", { points: pts.join(" "), "class": "founded" }, svg);
    }
    var first = coverage[0].session, last = coverage[n - 1].session;
    svgEl("text", { x: L, y: H - 6 }, svg).textContent = num(first);
    svgEl("text", { x: W - R, y: H - 6, "text-anchor": "end" }, svg).textContent = num(last);
    var end = coverage[n - 1];
    html("p", count(end.regions_touched, "region", "regions") + " touched by session " + num(last) + " (line); green bars: regions founded; dashed: share of keeps that founded a region" +
      (typeof end.founded_share === "number" ? " (" + Math.round(end.founded_share * 100) + "% now)" : "") + ".", box, "hint");
  }

  api.draw = draw;
  return api;
})();

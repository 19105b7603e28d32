// Field checks on the report page: the monitor's open checks (satellite points to verify) are kept
// on the phone with a small map of the point and the way to it; verdicts are queued with their UUID
// and sent when there is signal, like reports. Verdict intake is idempotent: 200 (same verdict) or
// 409 (the check already answered, or another verdict under this id) end the retries.
"use strict";
(function () {
  var KEY = "ews.report.key", LIST = "ews.checks.list", QUEUE = "ews.checks.verdicts", HERE = "ews.checks.here";
  var RETRY_MS = 30000, KEEP_DONE = 30, SVG = "http://www.w3.org/2000/svg";
  var WORDS = { confirmed: "Confirmado", false_alarm: "Falsa alarma", unreachable: "No se pudo llegar" };
  var CONF = { low: "baja", nominal: "nominal", high: "alta", highest: "muy alta" };
  var syncing = false;
  var $ = function (id) { return document.getElementById(id); };
  function get(name, empty) { try { return JSON.parse(localStorage.getItem(name)) || empty; } catch (e) { return empty; } }
  function put(name, value) { localStorage.setItem(name, JSON.stringify(value)); }
  function say(text, bad) { var m = $("checks-msg"); m.textContent = text; m.hidden = !text; m.className = "msg" + (bad ? " bad" : ""); }
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function shown(iso) { var d = new Date(iso); return pad(d.getDate()) + "/" + pad(d.getMonth() + 1) + " " + pad(d.getHours()) + ":" + pad(d.getMinutes()); }

  // Distance (km) and compass direction from a to b, both [lon, lat].
  function way(a, b) {
    var r = Math.PI / 180, dLat = (b[1] - a[1]) * r, dLon = (b[0] - a[0]) * r;
    var h = Math.pow(Math.sin(dLat / 2), 2) + Math.cos(a[1] * r) * Math.cos(b[1] * r) * Math.pow(Math.sin(dLon / 2), 2);
    var km = 12742 * Math.asin(Math.sqrt(h));
    var deg = (Math.atan2(dLon * Math.cos(((a[1] + b[1]) / 2) * r), dLat) / r + 360) % 360;
    return { km: km, dir: ["N", "NE", "E", "SE", "S", "SO", "O", "NO"][Math.round(deg / 45) % 8] };
  }

  function el(name, attrs) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }
  // A small inline map: the territory's outline, the way from the origin to the point. No tiles.
  function sketch(check, community, origin) {
    var point = [check.longitude, check.latitude], pts = [point, origin];
    (community && community.outline || []).forEach(function (ring) { pts = pts.concat(ring); });
    var minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    pts.forEach(function (p) { minX = Math.min(minX, p[0]); maxX = Math.max(maxX, p[0]); minY = Math.min(minY, p[1]); maxY = Math.max(maxY, p[1]); });
    var k = Math.cos(((minY + maxY) / 2) * Math.PI / 180), W = 280, H = 170, m = 10;
    var s = Math.min((W - 2 * m) / Math.max((maxX - minX) * k, 1e-6), (H - 2 * m) / Math.max(maxY - minY, 1e-6));
    function xy(p) { return [(m + (p[0] - minX) * k * s).toFixed(1), (H - m - (p[1] - minY) * s).toFixed(1)]; }
    var svg = el("svg", { viewBox: "0 0 " + W + " " + H, width: "100%", role: "img", "class": "check-map" });
    (community && community.outline || []).forEach(function (ring) {
      svg.appendChild(el("polygon", { points: ring.map(function (p) { return xy(p).join(","); }).join(" "), fill: "#e3f4ea", stroke: "#14603e", "stroke-width": 1.5 }));
    });
    var a = xy(origin), b = xy(point);
    svg.appendChild(el("line", { x1: a[0], y1: a[1], x2: b[0], y2: b[1], stroke: "#1d2a24", "stroke-width": 2, "stroke-dasharray": "6 4" }));
    svg.appendChild(el("circle", { cx: a[0], cy: a[1], r: 5, fill: "#1d4ed8" }));
    svg.appendChild(el("circle", { cx: b[0], cy: b[1], r: 7, fill: check.source === "firms" ? "#dc2626" : "#b45309", stroke: "#fff", "stroke-width": 2 }));
    return svg;
  }

  function answered() {
    var ids = {};
    get(QUEUE, []).forEach(function (v) { if (v.status !== "rejected") ids[v.checkId] = true; });
    return ids;
  }

  function describe(check) {
    var what = check.source === "firms" ? "Foco de calor" : "Deforestación";
    var when = check.source === "firms" ? shown(check.seen_at) : shown(check.seen_at).slice(0, 5);
    var bits = [what, when, "confianza " + (CONF[check.confidence] || check.confidence || "?")];
    if (check.area_ha != null) bits.push(check.area_ha + " ha");
    bits.push(check.zone === "buffer" ? "zona de aproximación" : "en el territorio");
    return bits.join(" · ");
  }

  function render() {
    var kept = get(LIST, {}), done = answered(), list = $("checks"), here = get(HERE, null);
    list.textContent = "";
    var open = (kept.items || []).filter(function (c) { return !done[c.id]; });
    open.forEach(function (check) {
      var li = document.createElement("li"), origin = here || (kept.community && kept.community.centre) || [check.longitude, check.latitude];
      li.dataset.id = check.id; li.className = "check";
      var title = document.createElement("strong"); title.textContent = describe(check); li.appendChild(title);
      li.appendChild(sketch(check, kept.community, origin));
      var w = way(origin, [check.longitude, check.latitude]), info = document.createElement("small");
      info.textContent = w.km.toFixed(1) + " km al " + w.dir + " desde " + (here ? "su posición" : "el centro de la comunidad") +
        " · " + check.latitude.toFixed(5) + ", " + check.longitude.toFixed(5);
      li.appendChild(info);
      var note = document.createElement("input"); note.placeholder = "Nota (opcional)"; note.maxLength = 2000; note.className = "check-note";
      li.appendChild(note);
      // Photos of the point wait on the phone with the verdict (window.EWSPhotos, report.js).
      var photos = document.createElement("input"); photos.type = "file"; photos.className = "check-photos";
      photos.accept = "image/jpeg,image/png,image/webp"; photos.multiple = true; photos.setAttribute("capture", "environment");
      photos.setAttribute("aria-label", "Fotos del punto (opcional)");
      var keep = document.createElement("label"), box = document.createElement("input");
      box.type = "checkbox"; box.className = "check-keep"; keep.className = "check";
      keep.appendChild(box); keep.appendChild(document.createTextNode(" Conservar la hora y el lugar en las fotos"));
      var said = document.createElement("small"); said.textContent = "Fotos del punto (opcional)";
      li.appendChild(said); li.appendChild(photos); li.appendChild(keep);
      var row = document.createElement("div"); row.className = "verdict-row";
      Object.keys(WORDS).forEach(function (verdict) {
        var b = document.createElement("button"); b.type = "button"; b.textContent = WORDS[verdict];
        b.className = verdict === "confirmed" ? "" : "secondary"; b.dataset.verdict = verdict;
        b.addEventListener("click", function () { answer(check, verdict, note.value.trim(), photos.files, box.checked); });
        row.appendChild(b);
      });
      li.appendChild(row);
      list.appendChild(li);
    });
    $("checks-count").textContent = open.length;
    var queue = get(QUEUE, []), waiting = $("verdicts"), nw = 0;
    waiting.textContent = "";
    queue.slice().reverse().forEach(function (v) {
      var li = document.createElement("li"), small = document.createElement("small");
      li.className = v.status; li.dataset.id = v.verdict.id;
      li.textContent = WORDS[v.verdict.verdict] + " · " + v.label + (v.photos ? " · " + v.photos + (v.photos > 1 ? " fotos" : " foto") : "");
      if (v.status === "waiting") { nw++; small.textContent = "En espera" + (v.error ? ": " + v.error : ""); }
      else small.textContent = v.status === "sent" ? "Enviado " + shown(v.sentAt) + (v.error ? " (" + v.error + ")" : "")
        : v.status === "conflict" ? "Ya tenía un veredicto: " + (v.error || "")
        : "Rechazado: " + (v.error || "datos inválidos");
      li.appendChild(small); waiting.appendChild(li);
    });
    $("verdicts-count").textContent = nw;
  }

  function store(queue) {
    var done = queue.filter(function (v) { return v.status !== "waiting"; });
    var drop = done.slice(0, Math.max(done.length - KEEP_DONE, 0));
    put(QUEUE, queue.filter(function (v) { return drop.indexOf(v) < 0; }));
  }
  function update(id, change) {
    var queue = get(QUEUE, []);
    queue.forEach(function (v) { if (v.verdict.id === id) Object.assign(v, change); });
    store(queue);
  }
  function errorText(body) {
    if (body && body.errors && body.errors.length) return body.errors.map(function (e) { return e.field + ": " + e.message.split(" / ")[0]; }).join("; ");
    return body && body.detail ? String(body.detail).split(" / ")[0] : "";
  }

  function answer(check, verdict, note, files, keep) {
    var id = uuid(), n = files ? files.length : 0;
    window.EWSPhotos.keep(id, files, keep).then(function () {
      var queue = get(QUEUE, []);
      queue.push({ checkId: check.id, label: describe(check), status: "waiting", error: "", savedAt: new Date().toISOString(),
        photos: n, verdict: { id: id, verdict: verdict, note: note || null } });
      store(queue);
      say(navigator.onLine ? "Veredicto guardado; enviando…" : "Veredicto guardado en el teléfono; se enviará cuando haya señal.");
      render(); sync();
    }).catch(function () { say("No se pudieron guardar las fotos en el teléfono; intente con menos.", true); });
  }

  // After the verdict (sent, or the check already answered): its photos, then the final status.
  function done(key, v, status, error) {
    var photos = v.photos ? window.EWSPhotos.send(key, v.verdict.id, "/api/v1/checks/" + encodeURIComponent(v.checkId) + "/photos") : Promise.resolve("");
    return photos.then(function (refused) {
      update(v.verdict.id, { status: status, sentAt: new Date().toISOString(), error: [error, refused].filter(Boolean).join("; ") });
    }, function (e) {
      if (e.message === "later") update(v.verdict.id, { error: "fotos en espera (" + e.status + ")" });
      throw e;
    });
  }

  function sendOne(key, v) {
    return fetch("/api/v1/checks/" + encodeURIComponent(v.checkId) + "/verdict", {
      method: "POST", headers: { "Content-Type": "application/json", Authorization: "Bearer " + key },
      body: JSON.stringify(v.verdict)
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (body) {
        if (res.status === 200 || res.status === 201) return done(key, v, "sent", "");
        // The check already had a verdict: the photos are still of its point, and kept.
        if (res.status === 409) return done(key, v, "conflict", errorText(body));
        if (res.status === 404 || res.status === 422 || res.status === 400) { update(v.verdict.id, { status: "rejected", error: errorText(body) }); return; }
        if (res.status === 401 || res.status === 403) { update(v.verdict.id, { error: "la clave no es válida" }); throw new Error("key"); }
        update(v.verdict.id, { error: "el servidor no respondió bien (" + res.status + ")" });
        throw new Error("later");
      });
    });
  }

  function sync() {
    var key = localStorage.getItem(KEY);
    var pending = get(QUEUE, []).filter(function (v) { return v.status === "waiting"; });
    if (syncing || !key || !navigator.onLine || !pending.length) { render(); return Promise.resolve(); }
    syncing = true;
    return pending.reduce(function (chain, v) { return chain.then(function () { return sendOne(key, v); }); }, Promise.resolve())
      .catch(function (e) { if (e && e.message === "key") say("La clave no es válida o fue revocada.", true); })
      .then(function () { syncing = false; render(); });
  }

  function refresh() {
    var key = localStorage.getItem(KEY);
    if (!key || !navigator.onLine) { render(); return Promise.resolve(); }
    return fetch("/report/checks", { headers: { Authorization: "Bearer " + key } }).then(function (res) {
      if (!res.ok) throw new Error(String(res.status));
      return res.json();
    }).then(function (body) { body.fetchedAt = new Date().toISOString(); put(LIST, body); })
      .catch(function () {}).then(render);
  }

  function locateMe() {
    if (!navigator.geolocation) return;
    navigator.geolocation.getCurrentPosition(function (pos) { put(HERE, [pos.coords.longitude, pos.coords.latitude]); render(); },
      function () {}, { enableHighAccuracy: true, timeout: 30000, maximumAge: 60000 });
  }

  document.addEventListener("DOMContentLoaded", function () {
    $("checks-refresh").addEventListener("click", function () { locateMe(); sync().then(refresh); });
    window.addEventListener("online", function () { sync().then(refresh); });
    window.addEventListener("offline", render);
    // A key saved later, or a list kept too long: fetched again at the next tick with signal.
    setInterval(function () {
      var kept = get(LIST, {}), age = kept.fetchedAt ? Date.now() - new Date(kept.fetchedAt).getTime() : Infinity;
      sync().then(function () { if (age > 10 * RETRY_MS) return refresh(); });
    }, RETRY_MS);
    render(); sync().then(refresh);
  });
})();

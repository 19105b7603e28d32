// Patrol recorder of the report page: records a track on the phone (watchPosition) with or without
// signal, keeps it in localStorage until it is sent as a patrol (POST /api/v1/patrols) with its UUID,
// like the reports' queue of report.js (same key, same answers: 200/201 sent, 409 conflict, 422 refused).
"use strict";
(function () {
  var QUEUE = "ews.report.patrols", CURRENT = "ews.report.patrol.current", KEY = "ews.report.key", ME = "ews.report.me";
  var RETRY_MS = 30000, KEEP_DONE = 20, MIN_STEP_M = 5, MAX_ACCURACY_M = 100;
  var watchId = null, syncing = false;
  var $ = function (id) { return document.getElementById(id); };

  function read(name, fallback) { try { return JSON.parse(localStorage.getItem(name)) || fallback; } catch (e) { return fallback; } }
  function write(name, value) { localStorage.setItem(name, JSON.stringify(value)); }
  function load() { return read(QUEUE, []); }
  function store(items) {
    var done = items.filter(function (i) { return i.status !== "waiting"; });
    var drop = done.slice(0, Math.max(done.length - KEEP_DONE, 0));
    write(QUEUE, items.filter(function (i) { return drop.indexOf(i) < 0; }));
  }
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function metres(a, b) {
    var r = Math.PI / 180, x = (b[0] - a[0]) * r * Math.cos((a[1] + b[1]) / 2 * r), y = (b[1] - a[1]) * r;
    return Math.sqrt(x * x + y * y) * 6371000;
  }
  function km(coords) { var t = 0; for (var i = 1; i < coords.length; i++) t += metres(coords[i - 1], coords[i]); return t / 1000; }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function shown(iso) { var d = new Date(iso); return pad(d.getDate()) + "/" + pad(d.getMonth() + 1) + " " + pad(d.getHours()) + ":" + pad(d.getMinutes()); }
  function say(text, bad) { var el = $("patrol-msg"); el.textContent = text; el.hidden = !text; el.className = "msg" + (bad ? " bad" : ""); }

  function render() {
    var current = read(CURRENT, null), recording = !!current;
    $("patrol-start").hidden = recording; $("patrol-stop").hidden = !recording;
    $("patrol-status").textContent = recording
      ? "Grabando: " + current.coords.length + " puntos · " + km(current.coords).toFixed(2) + " km"
      : "Sin grabar";
    var list = $("patrols"), nw = 0;
    list.textContent = "";
    load().slice().reverse().forEach(function (item) {
      var li = document.createElement("li"), note = document.createElement("small"), p = item.patrol;
      li.className = item.status; li.dataset.id = p.id;
      li.textContent = "Patrullaje · " + shown(p.ended_at) + " · " + km(p.track.coordinates).toFixed(2) + " km"
        + (item.photos ? " · " + item.photos + (item.photos > 1 ? " fotos" : " foto") : "");
      if (item.status === "waiting") nw++;
      note.textContent = item.status === "waiting" ? "En espera" + (item.error ? ": " + item.error : "")
        : item.status === "sent" ? "Enviado" + (item.error ? " (" + item.error + ")" : "") : item.status === "conflict" ? "Conflicto: ya existe otro patrullaje con este identificador"
        : "Rechazado: " + (item.error || "datos inválidos");
      li.appendChild(note); list.appendChild(li);
    });
    $("patrols-waiting").textContent = nw;
  }

  function addFix(pos) {
    var current = read(CURRENT, null);
    if (!current || pos.coords.accuracy > MAX_ACCURACY_M) return;
    var point = [Number(pos.coords.longitude.toFixed(6)), Number(pos.coords.latitude.toFixed(6))];
    var last = current.coords[current.coords.length - 1];
    if (last && metres(last, point) < MIN_STEP_M) return;
    current.coords.push(point); current.last = new Date(pos.timestamp || Date.now()).toISOString();
    write(CURRENT, current); render();
  }

  function watch() {
    if (watchId !== null || !navigator.geolocation) return;
    watchId = navigator.geolocation.watchPosition(addFix, function () { say("No se obtiene la posición; siga caminando al aire libre.", true); },
      { enableHighAccuracy: true, timeout: 60000, maximumAge: 10000 });
  }

  function start() {
    if (!navigator.geolocation) { say("Este teléfono no da la posición.", true); return; }
    write(CURRENT, { id: uuid(), started: new Date().toISOString(), coords: [] });
    say("Grabando la ruta; funciona sin señal. Deje esta página abierta.");
    watch(); render();
  }

  function stop() {
    var current = read(CURRENT, null);
    if (watchId !== null) { navigator.geolocation.clearWatch(watchId); watchId = null; }
    localStorage.removeItem(CURRENT);
    if (!current || current.coords.length < 2) { say("Ruta muy corta (menos de 2 puntos): no se guardó.", true); render(); return; }
    var who = read(ME, null), ended = new Date().toISOString();
    var monitors = Math.max(1, Math.min(500, parseInt($("patrol-monitors").value, 10) || 1));
    var files = $("patrol-photos").files, n = files.length;
    // Its photos wait on the phone with it (window.EWSPhotos, report.js) and are sent after it.
    window.EWSPhotos.keep(current.id, files, $("patrol-keep").checked).catch(function () {
      n = 0; say("No se pudieron guardar las fotos en el teléfono.", true);
    }).then(function () {
      var items = load();
      items.push({ status: "waiting", error: "", photos: n, patrol: {
        id: current.id, community: (who && who.community) || null, started_at: current.started, ended_at: ended,
        monitors: monitors, track: { type: "LineString", coordinates: current.coords } } });
      store(items);
      $("patrol-photos").value = ""; $("patrol-keep").checked = false;
      say(navigator.onLine ? "Patrullaje guardado; enviando…" : "Patrullaje guardado en el teléfono; se enviará cuando haya señal.");
      render(); sync();
    });
  }

  function sent(key, item) {
    var id = item.patrol.id;
    var photos = item.photos ? window.EWSPhotos.send(key, id, "/api/v1/patrols/" + id + "/photos") : Promise.resolve("");
    return photos.then(function (refused) { update(id, { status: "sent", error: refused }); }, function (e) {
      if (e.message === "later") update(id, { error: "fotos en espera (" + e.status + ")" });
      throw e;
    });
  }

  function update(id, change) {
    var items = load();
    items.forEach(function (item) { if (item.patrol.id === id) Object.assign(item, change); });
    store(items);
  }
  function errorText(body) {
    if (body && body.errors && body.errors.length) return body.errors.map(function (e) { return e.field + ": " + e.message; }).join("; ");
    return body && body.detail ? String(body.detail).split(" / ")[0] : "";
  }

  function sendOne(key, item) {
    return fetch("/api/v1/patrols", {
      method: "POST", headers: { "Content-Type": "application/json", Authorization: "Bearer " + key }, body: JSON.stringify(item.patrol)
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (body) {
        if (res.status === 200 || res.status === 201) return sent(key, item);
        if (res.status === 409) { update(item.patrol.id, { status: "conflict", error: errorText(body) }); return; }
        if (res.status === 422 || res.status === 400 || (res.status === 403 && body && body.errors)) { update(item.patrol.id, { status: "rejected", error: errorText(body) }); return; }
        update(item.patrol.id, { error: "el servidor no respondió bien (" + res.status + ")" });
        throw new Error("later");
      });
    });
  }

  function sync() {
    var key = localStorage.getItem(KEY), who = read(ME, null);
    var pending = load().filter(function (i) { return i.status === "waiting"; });
    if (syncing || !key || !navigator.onLine || !pending.length) { render(); return Promise.resolve(); }
    syncing = true;
    return pending.reduce(function (chain, item) {
      return chain.then(function () {
        if (!item.patrol.community) {
          if (!who || !who.community) throw new Error("community");
          item.patrol.community = who.community; update(item.patrol.id, { patrol: item.patrol });
        }
        return sendOne(key, item);
      });
    }, Promise.resolve()).catch(function () {}).then(function () { syncing = false; render(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!$("patrol-box")) return;
    $("patrol-start").addEventListener("click", start);
    $("patrol-stop").addEventListener("click", stop);
    window.addEventListener("online", function () { sync(); });
    window.addEventListener("offline", render);
    setInterval(sync, RETRY_MS);
    if (read(CURRENT, null)) watch();  // the page was reloaded while recording: keep recording
    render(); sync();
  });
})();

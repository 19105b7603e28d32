// Patrol report page: keeps reports on the phone (localStorage) with their UUID and sends them when
// there is signal. Intake is idempotent, so a resend answers 200 (same report) or 409 (different
// content under the same id) and is never repeated forever. Photos wait with their report in
// IndexedDB (too big for localStorage), as taken; each is sent after its report and removed once
// the service has it (the same bytes again answer 200: nothing is doubled).
"use strict";
(function () {
  var QUEUE = "ews.report.queue", KEY = "ews.report.key", ME = "ews.report.me";
  var RETRY_MS = 30000, KEEP_DONE = 50;
  var syncing = false;
  var $ = function (id) { return document.getElementById(id); };

  function load() { try { return JSON.parse(localStorage.getItem(QUEUE)) || []; } catch (e) { return []; } }
  // Waiting reports are never dropped; of those already answered, the newest few are kept to show.
  function store(items) {
    var done = items.filter(function (i) { return i.status !== "waiting"; });
    var drop = done.slice(0, Math.max(done.length - KEEP_DONE, 0));
    localStorage.setItem(QUEUE, JSON.stringify(items.filter(function (i) { return drop.indexOf(i) < 0; })));
  }
  // Photos: {key: "<owner id>:<n>", report: <owner id>, blob, keep} in IndexedDB "ews-report",
  // store "photos". The owner is a report's, a verdict's or a patrol's UUID (report-checks.js and
  // report-patrol.js share these functions through window.EWSPhotos).
  function photoDb() {
    return new Promise(function (resolve, reject) {
      var open = indexedDB.open("ews-report", 1);
      open.onupgradeneeded = function () { open.result.createObjectStore("photos", { keyPath: "key" }); };
      open.onsuccess = function () { resolve(open.result); };
      open.onerror = function () { reject(open.error); };
    });
  }
  function photoStore(mode, work) {
    return photoDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction("photos", mode), result = work(tx.objectStore("photos"));
        tx.oncomplete = function () { db.close(); resolve(result && "result" in result ? result.result : undefined); };
        tx.onerror = function () { db.close(); reject(tx.error); };
      });
    });
  }
  function keepPhotos(id, files, keep) {
    if (!files || !files.length) return Promise.resolve();
    return photoStore("readwrite", function (os) {
      Array.prototype.forEach.call(files, function (file, n) { os.put({ key: id + ":" + n, report: id, blob: file, keep: keep }); });
    });
  }
  function photosOf(id) {
    return photoStore("readonly", function (os) { return os.getAll(IDBKeyRange.bound(id + ":", id + ":\uffff")); });
  }
  function dropPhoto(key) { return photoStore("readwrite", function (os) { os.delete(key); }); }

  // Sends the owner's kept photos one by one to url, each removed from the phone once the service
  // has it. Resolves with "" or the refusal said on the item; rejects "key", or "later" with the
  // status in .status (the owner stays waiting and is sent again: its intake answers 200).
  function sendPhotos(key, id, url) {
    var refused = "";
    return photosOf(id).then(function (photos) {
      return photos.reduce(function (chain, photo) {
        return chain.then(function () {
          var form = new FormData();
          form.append("file", photo.blob, "foto");
          form.append("keep_time_and_place", photo.keep ? "true" : "false");
          return fetch(url, { method: "POST", headers: { Authorization: "Bearer " + key }, body: form }).then(function (res) {
            return res.json().catch(function () { return {}; }).then(function (body) {
              if (res.status === 401 || res.status === 403) throw new Error("key");
              if (res.status === 200 || res.status === 201) return dropPhoto(photo.key);
              // Refused for good (too big, not an image): kept off the queue, said on the item.
              if (res.status === 404 || res.status === 413 || res.status === 415 || res.status === 422) { refused = "foto rechazada: " + errorText(body); return dropPhoto(photo.key); }
              var later = new Error("later"); later.status = res.status; throw later;
            });
          });
        });
      }, Promise.resolve());
    }).then(function () { return refused; });
  }
  window.EWSPhotos = { keep: keepPhotos, send: sendPhotos, errorText: errorText };

  function sendReportPhotos(key, item) {
    if (!item.photos) return Promise.resolve("");
    return sendPhotos(key, item.report.id, "/api/v1/reports/" + item.report.id + "/photos").catch(function (e) {
      if (e.message === "later") update(item.report.id, { error: "fotos en espera (" + e.status + ")" });
      throw e;
    });
  }

  function me() { try { return JSON.parse(localStorage.getItem(ME)); } catch (e) { return null; } }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function localInput(d) {
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }
  // ISO 8601 with the phone's UTC offset, as intake requires.
  function withOffset(d) {
    var off = -d.getTimezoneOffset(), sign = off >= 0 ? "+" : "-";
    off = Math.abs(off);
    return localInput(d) + ":00" + sign + pad(Math.floor(off / 60)) + ":" + pad(off % 60);
  }
  function shown(iso) { var d = new Date(iso); return pad(d.getDate()) + "/" + pad(d.getMonth() + 1) + " " + pad(d.getHours()) + ":" + pad(d.getMinutes()); }

  function say(el, text, bad) { el.textContent = text; el.hidden = !text; el.className = "msg" + (bad ? " bad" : ""); }

  function threatText(value) {
    var opt = document.querySelector('#threat option[value="' + value + '"]');
    return opt ? opt.textContent : value;
  }

  function render() {
    var items = load(), waiting = $("waiting"), sent = $("sent"), nw = 0, ns = 0;
    waiting.textContent = ""; sent.textContent = "";
    items.slice().reverse().forEach(function (item) {
      var li = document.createElement("li"), note = document.createElement("small");
      li.className = item.status; li.dataset.id = item.report.id;
      li.textContent = threatText(item.report.threat_type) + " · " + item.report.severity + "/5 · " + shown(item.report.observed_at)
        + (item.photos ? " · " + item.photos + (item.photos > 1 ? " fotos" : " foto") : "");
      if (item.status === "waiting") { nw++; note.textContent = "En espera" + (item.error ? ": " + item.error : ""); waiting.appendChild(li); }
      else {
        ns++;
        note.textContent = item.status === "sent" ? "Enviado " + shown(item.sentAt)
          : item.status === "conflict" ? "Conflicto: ya existe otro reporte con este identificador"
          : "Rechazado: " + (item.error || "datos inválidos");
        sent.appendChild(li);
      }
      li.appendChild(note);
    });
    $("waiting-count").textContent = nw; $("sent-count").textContent = ns;
    var net = $("net");
    net.textContent = navigator.onLine ? "Con señal" : "Sin señal";
    net.className = "net" + (navigator.onLine ? "" : " off");
    var key = localStorage.getItem(KEY), who = me();
    $("key-form").hidden = !!key; $("key-ok").hidden = !key;
    $("community-name").textContent = who ? (who.community_name || who.community || "") : "por verificar";
    var needsCommunity = !!(who && !who.community);
    $("community").hidden = !needsCommunity; $("community-label").hidden = !needsCommunity;
  }

  function update(id, change) {
    var items = load();
    items.forEach(function (item) { if (item.report.id === id) Object.assign(item, change); });
    store(items);
  }

  function errorText(body) {
    if (body && body.errors && body.errors.length) return body.errors.map(function (e) { return e.field + ": " + e.message; }).join("; ");
    return body && body.detail ? String(body.detail).split(" / ")[0] : "";
  }

  function whoAmI(key) {
    if (!navigator.onLine) return Promise.reject(new Error("net"));
    return fetch("/report/me", { headers: { Authorization: "Bearer " + key } }).then(function (res) {
      if (res.status === 401 || res.status === 403) throw new Error("key");
      if (!res.ok) throw new Error("net");
      return res.json();
    }).then(function (body) { localStorage.setItem(ME, JSON.stringify(body)); return body; });
  }

  function sendOne(key, item) {
    return fetch("/api/v1/reports", {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: "Bearer " + key },
      body: JSON.stringify(item.report)
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (body) {
        if (res.status === 200 || res.status === 201) {
          // Sent once its photos are too; until then it waits, and a resend of it answers 200.
          return sendReportPhotos(key, item).then(function (refused) {
            update(item.report.id, { status: "sent", sentAt: new Date().toISOString(), error: refused });
            return true;
          });
        }
        if (res.status === 409) { update(item.report.id, { status: "conflict", error: errorText(body) }); return true; }
        // A 403 that names a field is about this report (e.g. another community), not the key.
        var aboutReport = res.status === 403 && body && body.errors && body.errors.length;
        if (res.status === 422 || res.status === 400 || aboutReport) { update(item.report.id, { status: "rejected", error: errorText(body) }); return true; }
        if (res.status === 401 || res.status === 403) { update(item.report.id, { error: "la clave no es válida" }); throw new Error("key"); }
        update(item.report.id, { error: "el servidor no respondió bien (" + res.status + ")" });
        throw new Error("later");
      });
    });
  }

  function sync() {
    var key = localStorage.getItem(KEY);
    // With no signal at all, do not even try: the "online" event or the timer will call again.
    if (syncing || !key || !navigator.onLine) { render(); return Promise.resolve(); }
    var pending = load().filter(function (i) { return i.status === "waiting"; });
    if (!pending.length) { render(); return Promise.resolve(); }
    syncing = true;
    var who = me();
    var ready = who ? Promise.resolve(who) : whoAmI(key);
    return ready.then(function (who) {
      return pending.reduce(function (chain, item) {
        return chain.then(function () {
          if (!item.report.community) {
            if (!who.community) throw new Error("community");
            item.report.community = who.community;
            update(item.report.id, { report: item.report });
          }
          return sendOne(key, item);
        });
      }, Promise.resolve());
    }).catch(function (e) {
      if (e && e.message === "key") say($("key-msg"), "La clave no es válida o fue revocada. Ingrese otra.", true);
    }).then(function () { syncing = false; render(); });
  }

  function saveKey(ev) {
    ev.preventDefault();
    var key = $("key").value.trim();
    if (!key) return;
    localStorage.setItem(KEY, key); localStorage.removeItem(ME);
    $("key").value = "";
    say($("key-msg"), "");
    whoAmI(key).then(function () { say($("key-msg"), "Clave verificada."); })
      .catch(function (e) {
        if (e.message === "key") { localStorage.removeItem(KEY); say($("key-msg"), "La clave no es válida o fue revocada.", true); }
        else say($("key-msg"), "Clave guardada; se verificará cuando haya señal.");
      }).then(function () { render(); sync(); });
  }

  function saveReport(ev) {
    ev.preventDefault();
    var observed = new Date($("observed").value);
    if (isNaN(observed.getTime())) observed = new Date();
    var who = me(), lat = $("position").dataset.lat, lon = $("position").dataset.lon;
    var report = {
      id: uuid(),
      community: (who && who.community) || $("community").value.trim() || null,
      threat_type: $("threat").value,
      severity: Number(document.querySelector("input[name=severity]:checked").value),
      observed_at: withOffset(observed),
      latitude: lat ? Number(lat) : null,
      longitude: lon ? Number(lon) : null,
      description: $("description").value.trim() || null
    };
    var files = $("photos").files, keep = $("keep-place").checked;
    keepPhotos(report.id, files, keep).then(function () {
      var items = load();
      items.push({ report: report, status: "waiting", savedAt: new Date().toISOString(), error: "", photos: files.length });
      store(items);
      $("description").value = ""; $("observed").value = localInput(new Date());
      $("photos").value = ""; $("keep-place").checked = false;
      clearPosition();
      say($("form-msg"), navigator.onLine ? "Reporte guardado; enviando…" : "Reporte guardado en el teléfono; se enviará cuando haya señal.");
      render(); sync();
    }).catch(function () { say($("form-msg"), "No se pudieron guardar las fotos en el teléfono; intente con menos.", true); });
  }

  function clearPosition() { var p = $("position"); delete p.dataset.lat; delete p.dataset.lon; p.textContent = "Sin posición (opcional)"; }

  function locate() {
    var p = $("position");
    if (!navigator.geolocation) { p.textContent = "Este teléfono no da la posición"; return; }
    p.textContent = "Buscando posición…";
    navigator.geolocation.getCurrentPosition(function (pos) {
      p.dataset.lat = pos.coords.latitude.toFixed(5); p.dataset.lon = pos.coords.longitude.toFixed(5);
      p.textContent = p.dataset.lat + ", " + p.dataset.lon + " (±" + Math.round(pos.coords.accuracy) + " m)";
    }, function () { p.textContent = "No se obtuvo la posición (opcional)"; }, { enableHighAccuracy: true, timeout: 30000, maximumAge: 60000 });
  }

  document.addEventListener("DOMContentLoaded", function () {
    $("observed").value = localInput(new Date());
    $("key-form").addEventListener("submit", saveKey);
    $("key-change").addEventListener("click", function () { localStorage.removeItem(KEY); localStorage.removeItem(ME); render(); });
    $("report-form").addEventListener("submit", saveReport);
    $("locate").addEventListener("click", locate);
    $("retry").addEventListener("click", function () { sync(); });
    window.addEventListener("online", function () { render(); sync(); });
    window.addEventListener("offline", render);
    setInterval(sync, RETRY_MS);
    render(); sync();
    if ("serviceWorker" in navigator) navigator.serviceWorker.register("/report/sw.js", { scope: "/report" }).catch(function () {});
  });
})();

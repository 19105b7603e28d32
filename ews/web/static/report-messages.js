// What the community was told about its alerts (received, who acknowledged, what is being done):
// fetched with the monitor's key when there is signal and kept on the phone to read offline.
"use strict";
(function () {
  var KEY = "ews.report.key", LIST = "ews.messages.list", TICK_MS = 30000, STALE_MS = 300000;
  var $ = function (id) { return document.getElementById(id); };
  function get(name, empty) { try { return JSON.parse(localStorage.getItem(name)) || empty; } catch (e) { return empty; } }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function shown(iso) { var d = new Date(iso); return pad(d.getDate()) + "/" + pad(d.getMonth() + 1) + " " + pad(d.getHours()) + ":" + pad(d.getMinutes()); }
  function render() {
    var items = get(LIST, {}).items || [], list = $("messages");
    list.textContent = "";
    items.forEach(function (m) {
      var li = document.createElement("li");
      li.textContent = shown(m.at) + " · " + m.text;
      list.appendChild(li);
    });
    $("messages-count").textContent = String(items.length);
  }
  function refresh() {
    var key = localStorage.getItem(KEY);
    if (!key || !navigator.onLine) { render(); return; }
    fetch("/report/messages", { headers: { Authorization: "Bearer " + key } }).then(function (res) {
      if (!res.ok) throw new Error(String(res.status));
      return res.json();
    }).then(function (body) { body.fetchedAt = new Date().toISOString(); localStorage.setItem(LIST, JSON.stringify(body)); })
      .catch(function () {}).then(render);
  }
  document.addEventListener("DOMContentLoaded", function () {
    window.addEventListener("online", refresh);
    // The key just saved (report.js handles the form first): fetch at once.
    $("key-form").addEventListener("submit", function () { setTimeout(refresh, 0); });
    // A key saved later, or messages kept too long: fetched again at the next tick with signal.
    setInterval(function () {
      var kept = get(LIST, {}), age = kept.fetchedAt ? Date.now() - new Date(kept.fetchedAt).getTime() : Infinity;
      if (age > STALE_MS) refresh();
    }, TICK_MS);
    render(); refresh();
  });
})();

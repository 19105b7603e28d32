// The landing map: draws every community from the page's JSON (#overview-data), coloured by its
// highest open alert, each a link to its page with its name and open alerts as a tooltip. The
// server simplified the outlines for national zoom; a territory too small to draw is a marker.
(function () {
  "use strict";
  var svg = document.getElementById("overview-map");
  var source = document.getElementById("overview-data");
  if (!svg || !source) return;
  var data = JSON.parse(source.textContent);
  var NS = "http://www.w3.org/2000/svg";
  var t = data.t;
  var all = document.createDocumentFragment();
  var names = document.createDocumentFragment();
  data.c.forEach(function (c) {
    var code = c[0], name = c[1], level = c[2], open = c[3], x = c[4], y = c[5], d = c[6];
    var a = document.createElementNS(NS, "a");
    a.setAttribute("href", "/dashboard/communities/" + encodeURIComponent(code));
    a.setAttribute("class", "place lvl-" + level);
    a.setAttribute("data-community", code);
    a.setAttribute("data-level", level);
    var title = document.createElementNS(NS, "title");
    title.textContent = name + ": " + (open ? t[level] + " (" + open + " " + (open === 1 ? t.one : t.many) + ")" : t.none);
    a.appendChild(title);
    if (d) {
      var path = document.createElementNS(NS, "path");
      path.setAttribute("d", d);
      a.appendChild(path);
    }
    var urgent = level === "critical" || level === "high";
    if (!d || urgent) {
      var dot = document.createElementNS(NS, "circle");
      dot.setAttribute("cx", x);
      dot.setAttribute("cy", y);
      dot.setAttribute("r", urgent ? 6 : 3);
      a.appendChild(dot);
    }
    all.appendChild(a);
    var option = document.createElement("option");
    option.value = name;
    option.label = code;
    names.appendChild(option);
  });
  svg.appendChild(all);
  var list = document.getElementById("community-list");
  if (list) list.appendChild(names);
})();

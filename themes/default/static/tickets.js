// Ticket pages: drag and drop onto the file inputs, and related FAQ suggestions while a
// new ticket's subject and body are typed (through /api/v1/related, with the session).
// Without JavaScript the pages work the same: a plain file input and a "check related
// FAQ" button.
(function () {
  "use strict";

  // Drag and drop: the dropped files join those already chosen in the zone's input.
  document.querySelectorAll(".tk-drop").forEach(function (zone) {
    var input = zone.querySelector('input[type="file"]');
    if (!input || typeof DataTransfer === "undefined") return;
    var label = document.createElement("span");
    label.className = "tk-drop-label";
    label.textContent = zone.getAttribute("data-drop-label") || "";
    zone.appendChild(label);
    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (e) {
        e.preventDefault();
        zone.classList.add("dragover");
      });
    });
    ["dragleave", "drop"].forEach(function (type) {
      zone.addEventListener(type, function () {
        zone.classList.remove("dragover");
      });
    });
    zone.addEventListener("drop", function (e) {
      e.preventDefault();
      if (!e.dataTransfer || !e.dataTransfer.files.length) return;
      var all = new DataTransfer();
      Array.prototype.forEach.call(input.files, function (f) { all.items.add(f); });
      Array.prototype.forEach.call(e.dataTransfer.files, function (f) { all.items.add(f); });
      input.files = all.files;
      input.dispatchEvent(new Event("change", { bubbles: true }));
    });
  });

  // Related articles for the new-ticket form.
  var box = document.getElementById("tk-related");
  var subject = document.getElementById("subject");
  var body = document.getElementById("body");
  if (!box || !subject || !body || !window.fetch) return;
  var timer = null;
  var last = "";
  var seq = 0;

  function show(hits) {
    box.textContent = "";
    if (hits.length) {
      var h = document.createElement("h2");
      h.textContent = box.getAttribute("data-found");
      var ul = document.createElement("ul");
      hits.forEach(function (hit) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = hit.url;
        a.textContent = hit.title;
        li.appendChild(a);
        if (hit.category) {
          var c = document.createElement("span");
          c.className = "muted";
          c.textContent = " " + hit.category;
          li.appendChild(c);
        }
        ul.appendChild(li);
      });
      box.appendChild(h);
      box.appendChild(ul);
    } else {
      var p = document.createElement("p");
      p.textContent = box.getAttribute("data-none");
      box.appendChild(p);
    }
  }

  function ask() {
    var s = subject.value.trim();
    var b = body.value.trim();
    var key = s + "\u0000" + b;
    if (key === last) return;
    last = key;
    if (!s && !b) {
      box.textContent = "";
      return;
    }
    var mine = ++seq;
    var url = "/api/v1/related?limit=5&subject=" + encodeURIComponent(s.slice(0, 500)) +
      "&body=" + encodeURIComponent(b.slice(0, 4000));
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data && mine === seq) show(data.hits || []);
      })
      .catch(function () { /* suggestions are a help, never a blocker */ });
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(ask, 600);
  }
  subject.addEventListener("input", later);
  body.addEventListener("input", later);
})();

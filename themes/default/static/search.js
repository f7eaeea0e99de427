// Search as you type, for pages of the static knowledge base and the ticket service.
// Without JavaScript the search form submits to the ticket service's search page; with it,
// results from the search API appear under the box. The API returns snippets as escaped
// HTML with <mark> around matches; only text and <mark> are copied into the page.
(function () {
  "use strict";

  function snippetNodes(html) {
    var doc = new DOMParser().parseFromString("<p>" + html + "</p>", "text/html");
    var out = document.createDocumentFragment();
    doc.body.firstChild.childNodes.forEach(function (node) {
      if (node.nodeType === Node.TEXT_NODE) {
        out.appendChild(document.createTextNode(node.textContent));
      } else if (node.nodeName === "MARK") {
        var mark = document.createElement("mark");
        mark.textContent = node.textContent;
        out.appendChild(mark);
      } else {
        out.appendChild(document.createTextNode(node.textContent || ""));
      }
    });
    return out;
  }

  function render(box, data, langRoot, labels) {
    box.textContent = "";
    if (!data.hits || data.hits.length === 0) {
      var none = document.createElement("p");
      none.className = "muted";
      none.textContent = labels.none;
      box.appendChild(none);
      return;
    }
    var count = document.createElement("p");
    count.className = "muted";
    count.textContent = labels.hits.replace("{total}", String(data.total));
    box.appendChild(count);
    var list = document.createElement("ol");
    list.className = "search-results";
    data.hits.forEach(function (hit) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = langRoot + "articles/" + encodeURIComponent(String(hit.id)) + ".html";
      a.textContent = hit.title;
      li.appendChild(a);
      var meta = document.createElement("span");
      meta.className = "muted";
      meta.textContent = " FAQ#" + hit.id + (hit.category ? " · " + hit.category : "");
      li.appendChild(meta);
      var p = document.createElement("p");
      p.className = "snippet";
      p.appendChild(snippetNodes(hit.snippet || ""));
      li.appendChild(p);
      list.appendChild(li);
    });
    box.appendChild(list);
  }

  function attach(form) {
    var api = form.getAttribute("data-api");
    var input = form.querySelector("input[name=q]");
    if (!api || !input || !window.fetch) { return; }
    var lang = (form.querySelector("input[name=lang]") || {}).value || "ja";
    var langRoot = form.getAttribute("data-lang-root") || "";
    var edition = form.getAttribute("data-edition") || "public";
    var target = form.getAttribute("data-results");
    var box = target ? document.getElementById(target) : null;
    if (!box) {
      box = document.createElement("div");
      box.className = "live-results";
      box.setAttribute("aria-live", "polite");
      form.parentNode.insertBefore(box, form.nextSibling);
    }
    var labels = {
      none: box.getAttribute("data-none") || (document.documentElement.lang === "en" ? "No articles matched." : "該当するFAQは見つかりませんでした。"),
      hits: box.getAttribute("data-hits") || (document.documentElement.lang === "en" ? "{total} found" : "{total}件"),
      error: box.getAttribute("data-error") || (document.documentElement.lang === "en" ? "The search service could not be reached." : "検索サービスに接続できませんでした。")
    };
    var timer = null;
    var seq = 0;
    function run() {
      var q = input.value.trim();
      if (q === "") { box.textContent = ""; return; }
      var mine = ++seq;
      var url = api + "?edition=" + encodeURIComponent(edition) + "&lang=" + encodeURIComponent(lang) +
        "&limit=10&q=" + encodeURIComponent(q);
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
        .then(function (data) { if (mine === seq) { render(box, data, langRoot, labels); } })
        .catch(function () {
          if (mine !== seq) { return; }
          box.textContent = "";
          var p = document.createElement("p");
          p.className = "notice error";
          p.textContent = labels.error;
          box.appendChild(p);
        });
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(run, 200);
    });
    if (target) {
      form.addEventListener("submit", function (e) { e.preventDefault(); run(); });
      var params = new URLSearchParams(window.location.search);
      if (params.get("q")) { input.value = params.get("q"); run(); }
    }
  }

  document.querySelectorAll("form[data-api]").forEach(attach);
})();

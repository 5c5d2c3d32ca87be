// Keyboard navigation of a queue (served by the app; nothing loads from the internet).
// j / k move the highlighted row, Enter or o opens it, / goes to the search box,
// 1–8 switch tabs, [ and ] turn the page. Keys typed into a form field are left alone.
(function () {
  "use strict";
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-row]"));
  var current = -1;

  function mark(index) {
    if (!rows.length) return;
    if (current >= 0) rows[current].classList.remove("selected");
    current = Math.max(0, Math.min(rows.length - 1, index));
    rows[current].classList.add("selected");
    rows[current].scrollIntoView({block: "nearest"});
    rows[current].querySelector("a").focus({preventScroll: true});
  }

  function follow(selector) {
    var link = document.querySelector(selector);
    if (link) window.location.href = link.href;
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (target.closest && target.closest("input, select, textarea")) {
      if (event.key === "Escape") target.blur();
      return;
    }
    var key = event.key;
    if (key === "j") mark(current + 1);
    else if (key === "k") mark(current - 1);
    else if ((key === "Enter" || key === "o") && current >= 0) follow("tr.selected a");
    else if (key === "/") document.querySelector("[data-testid=search]").focus();
    else if (key === "[") follow("a[rel=prev]");
    else if (key === "]") follow("a[rel=next]");
    else if (/^[1-8]$/.test(key)) follow("a[data-key='" + key + "']");
    else return;
    event.preventDefault();
  });
})();

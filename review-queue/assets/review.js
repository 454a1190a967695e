// Keyboard navigation of the review page. No framework, no build step, nothing fetched.
// Queue: j/k move the selection, enter opens it, a/f decide it (attack / false positive).
// Item: j/k older/newer item, a/f decide with the note typed, u back to the queue.
(function () {
  "use strict";
  function typing(e) {
    var t = e.target;
    return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT");
  }
  function go(id) {
    var a = document.getElementById(id);
    if (a && a.href) { window.location.href = a.href; }
  }
  var rows = Array.prototype.slice.call(document.querySelectorAll("#items tbody tr[data-href]"));
  var sel = 0;
  rows.forEach(function (r, i) { if (r.classList.contains("sel")) { sel = i; } });
  function select(i) {
    if (!rows.length) { return; }
    sel = Math.max(0, Math.min(rows.length - 1, i));
    rows.forEach(function (r) { r.classList.remove("sel"); });
    rows[sel].classList.add("sel");
    rows[sel].scrollIntoView({ block: "nearest" });
  }
  if (rows.length) { select(sel); }
  rows.forEach(function (r, i) {
    r.addEventListener("click", function (e) {
      if (e.target.tagName !== "A") { select(i); }
    });
  });
  function quick(decision) {
    var form = document.getElementById("quick");
    if (!form || !rows.length) { return; }
    form.action = "/items/" + rows[sel].getAttribute("data-id") + "/decide";
    form.elements.decision.value = decision;
    form.submit();
  }
  document.addEventListener("keydown", function (e) {
    if (typing(e) || e.ctrlKey || e.metaKey || e.altKey) { return; }
    var onItem = !!document.getElementById("item");
    switch (e.key) {
      case "j":
        if (onItem) { go("next"); } else { select(sel + 1); }
        break;
      case "k":
        if (onItem) { go("prev"); } else { select(sel - 1); }
        break;
      case "Enter":
        if (!onItem && rows.length) { window.location.href = rows[sel].getAttribute("data-href"); }
        break;
      case "a":
        if (onItem) { document.getElementById("decide-attack").click(); } else { quick("attack"); }
        break;
      case "f":
        if (onItem) { document.getElementById("decide-fp").click(); } else { quick("false_positive"); }
        break;
      case "u":
        go("up");
        break;
      default:
        return;
    }
    e.preventDefault();
  });
  // Filters apply as soon as a menu changes.
  Array.prototype.forEach.call(document.querySelectorAll("form.filters select"), function (s) {
    s.addEventListener("change", function () { s.form.submit(); });
  });
})();

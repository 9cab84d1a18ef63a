// Poll an import's progress while it runs; reload the page when it has finished.
(function () {
  "use strict";
  var box = document.getElementById("import-summary");
  if (!box || box.getAttribute("data-status") !== "running") return;
  var bar = document.getElementById("import-progress");
  function poll() {
    fetch(box.getAttribute("data-progress-url"), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (bar) bar.value = data.percent;
        if (data.status === "running") { setTimeout(poll, 700); } else { window.location.reload(); }
      })
      .catch(function () { setTimeout(poll, 2000); });
  }
  setTimeout(poll, 300);
})();

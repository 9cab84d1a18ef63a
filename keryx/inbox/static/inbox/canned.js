// Canned replies in the inbox's reply boxes: typing "/code" alone replaces it with the saved
// answer (in the item's language), and the picker beside a box inserts the chosen answer.
// The server expands a lone "/code" too, so without this script the reply is the same.
(function () {
  "use strict";
  var data = document.getElementById("canned-data");
  if (!data) { return; }
  var answers = {};
  JSON.parse(data.textContent).forEach(function (c) { answers[c.code] = c; });

  function textFor(canned, language) {
    var first = language === "el" ? canned.el : canned.en;
    var second = language === "el" ? canned.en : canned.el;
    return first || second || "";
  }

  document.querySelectorAll("textarea[data-canned]").forEach(function (box) {
    box.addEventListener("input", function () {
      var found = /^\/([A-Za-z0-9][A-Za-z0-9_-]{0,39})$/.exec(box.value.trim());
      var canned = found && answers[found[1].toLowerCase()];
      if (canned) { box.value = textFor(canned, box.dataset.language); }
    });
  });

  document.querySelectorAll("select.canned-picker").forEach(function (picker) {
    picker.addEventListener("change", function () {
      var box = document.getElementById(picker.dataset.target);
      var canned = answers[picker.value];
      if (box && canned) {
        var text = textFor(canned, box.dataset.language);
        box.value = box.value.trim() ? box.value.replace(/\s*$/, " ") + text : text;
        box.focus();
      }
      picker.value = "";
    });
  });
})();

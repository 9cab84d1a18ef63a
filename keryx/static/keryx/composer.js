// Composer: when to publish, image slots, per-channel text. The live counts and verdicts are
// composer_live.js's, from POST /api/v1/validate.
(function () {
  "use strict";
  var form = document.getElementById("composer");
  if (!form) return;
  // Counters and verdicts come from the server's own checks (composer_live.js).
  function update() {
    form.querySelectorAll(".channel-row").forEach(function (row) {
      row.classList.toggle("chosen", row.querySelector("input[name=channels]").checked);
    });
  }

  // "Publish now" or "Schedule": show the date and time only when scheduling.
  var later = document.getElementById("when-later");
  var submit = document.getElementById("submit-post");
  function whenChanged() {
    var checked = form.querySelector("input[name=when]:checked");
    var isLater = checked && checked.value === "later";
    later.hidden = !isLater;
    submit.textContent = submit.getAttribute("data-" + (checked ? checked.value : "now")) ||
      submit.getAttribute("data-now");
  }

  // Image slots: show the next empty slot once one is filled.
  form.querySelectorAll(".media-item.upload input[type=file]").forEach(function (input) {
    input.addEventListener("change", function () {
      var next = input.closest(".media-item").nextElementSibling;
      if (next && next.classList.contains("later")) next.classList.remove("later");
    });
  });
  form.querySelectorAll("[data-remove-media]").forEach(function (button) {
    button.addEventListener("click", function () { button.closest(".media-item").remove(); });
  });
  // Typing a channel's own text turns its override on.
  form.querySelectorAll(".override textarea").forEach(function (area) {
    area.addEventListener("input", function () {
      var box = area.closest(".override").querySelector("input[type=checkbox]");
      if (box && area.value) box.checked = true;
    });
  });

  form.addEventListener("input", update);
  form.addEventListener("change", function () { update(); whenChanged(); });
  update();
  whenChanged();
})();

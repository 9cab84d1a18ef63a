// Composer: a rough live character count per chosen channel. Rough on purpose: the server
// validates again on save and its answer, shown next to each channel, is what counts.
(function () {
  "use strict";
  var form = document.getElementById("composer");
  if (!form) return;
  var text = form.querySelector("textarea[name=text]");
  var cw = form.querySelector("input[name=content_warning]");
  var URL_RE = /https?:\/\/[^\s<>"']+/g;
  var MENTION_RE = /@([A-Za-z0-9_]+)@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
  var segmenter = window.Intl && Intl.Segmenter ? new Intl.Segmenter(undefined, { granularity: "grapheme" }) : null;

  function graphemes(value) {
    if (!value) return 0;
    if (segmenter) { var n = 0; for (var _ of segmenter.segment(value)) n++; return n; }
    return Array.from(value).length;
  }
  function count(value, rule) {
    if (rule === "mastodon") {
      // Links count 23, @user@domain counts as @user.
      value = value.replace(URL_RE, "x".repeat(23)).replace(MENTION_RE, "@$1");
      return graphemes(value);
    }
    if (rule === "twitter") return graphemes(value.replace(URL_RE, "x".repeat(23)));
    if (rule === "utf16") return value.length;
    if (rule === "bytes") return new TextEncoder().encode(value).length;
    return graphemes(value);
  }

  function update() {
    form.querySelectorAll(".channel-row").forEach(function (row) {
      var counter = row.querySelector(".counter");
      var chosen = row.querySelector("input[name=channels]").checked;
      var override = row.querySelector("input[name^=override_]");
      var own = row.querySelector("textarea");
      var value = override && override.checked ? own.value : text.value;
      var rule = row.getAttribute("data-counting");
      var limit = parseInt(row.getAttribute("data-limit"), 10);
      var used = count(value, rule);
      if (row.getAttribute("data-cw") === "1" && cw) used += count(cw.value, rule);
      counter.textContent = used + " / " + limit;
      counter.classList.toggle("over", used > limit);
      counter.classList.toggle("near", used <= limit && used > limit * 0.9);
      row.classList.toggle("chosen", chosen);
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

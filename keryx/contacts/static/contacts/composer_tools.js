// Composer helper panel: insert @{Name} mentions, hashtag groups and suggestions, tracked links;
// show hashtag advice, unknown contacts and the Bluesky link card as the text changes.
(function () {
  "use strict";
  var panel = document.getElementById("composer-tools");
  var form = document.getElementById("composer");
  if (!panel || !form) return;
  var text = form.querySelector("textarea[name=text]");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]");
  var notes = document.getElementById("tool-notes");
  var card = document.getElementById("tool-card");

  function insert(value) {
    var start = text.selectionStart != null ? text.selectionStart : text.value.length;
    var end = text.selectionEnd != null ? text.selectionEnd : start;
    var before = text.value.slice(0, start), after = text.value.slice(end);
    var pad = before && !/\s$/.test(before) ? " " : "";
    text.value = before + pad + value + (after && !/^\s/.test(after) ? " " : "") + after;
    var at = (before + pad + value).length;
    text.focus();
    text.setSelectionRange(at, at);
    text.dispatchEvent(new Event("input", { bubbles: true }));
  }
  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf ? csrf.value : "" },
      body: JSON.stringify(body)
    }).then(function (r) { return r.json().then(function (data) { return { ok: r.ok, data: data }; }); });
  }

  var contact = document.getElementById("tool-contact");
  contact.addEventListener("change", function () {
    if (contact.value) insert("@{" + contact.value + "}");
    contact.value = "";
  });
  var group = document.getElementById("tool-group");
  group.addEventListener("change", function () {
    if (group.value) insert(group.value);
    group.value = "";
  });
  panel.querySelectorAll("[data-insert]").forEach(function (button) {
    button.addEventListener("click", function () { insert(button.getAttribute("data-insert")); });
  });

  var linkError = document.getElementById("tool-link-error");
  document.getElementById("tool-link-insert").addEventListener("click", function () {
    linkError.textContent = "";
    post(panel.getAttribute("data-build-url"), {
      url: document.getElementById("tool-link-url").value,
      source: document.getElementById("tool-utm-source").value,
      medium: document.getElementById("tool-utm-medium").value,
      campaign: document.getElementById("tool-utm-campaign").value,
      shorten: document.getElementById("tool-shorten").checked
    }).then(function (res) {
      if (!res.ok) { linkError.textContent = res.data.error || ""; return; }
      insert(res.data.url);
      document.getElementById("tool-link-url").value = "";
    });
  });

  var URL_RE = /https?:\/\/[^\s<>"']+/;
  var lastCard = "";
  function showCard(url) {
    if (url === lastCard) return;
    lastCard = url;
    if (!url) { card.hidden = true; return; }
    fetch(panel.getAttribute("data-preview-url") + "?url=" + encodeURIComponent(url), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (url !== lastCard) return;
        card.hidden = !data.title && !data.error;
        card.querySelector(".link-card-title").textContent = data.title || "";
        card.querySelector(".link-card-desc").textContent = data.error || data.description || "";
      });
  }
  function check() {
    var channels = Array.prototype.map.call(
      form.querySelectorAll("input[name=channels]:checked"), function (box) { return box.value; });
    post(panel.getAttribute("data-check-url"), { text: text.value, channels: channels }).then(function (res) {
      if (!res.ok) return;
      notes.textContent = "";
      res.data.unknown_contacts.forEach(function (name) {
        var p = document.createElement("p");
        p.className = "warn small unknown-contact";
        p.textContent = panel.getAttribute("data-unknown").replace("%s", name);
        notes.appendChild(p);
      });
      Object.keys(res.data.advice).forEach(function (net) {
        res.data.advice[net].forEach(function (message) {
          var p = document.createElement("p");
          p.className = "warn small hashtag-advice";
          p.textContent = message;
          notes.appendChild(p);
        });
      });
    });
    var match = text.value.match(URL_RE);
    showCard(match ? match[0].replace(/[.,;:!?…)]+$/, "") : "");
  }
  var timer = null;
  function soon() { clearTimeout(timer); timer = setTimeout(check, 400); }
  text.addEventListener("input", soon);
  form.addEventListener("change", soon);
  if (text.value) soon();
})();

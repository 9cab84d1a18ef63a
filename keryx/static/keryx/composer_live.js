// Composer, live: asks POST /api/v1/validate (the scheduler's own checks) while the user types,
// debounced, and shows per channel the exact count, what is over and by how much, the
// problems, which fields differ from the main post (with re-sync), a thread split where the
// network has threads, and a preview per channel.
(function () {
  "use strict";
  var form = document.getElementById("composer");
  var live = document.getElementById("composer-live");
  if (!form || !live) return;
  var units = JSON.parse(live.getAttribute("data-units"));
  var fieldNames = JSON.parse(live.getAttribute("data-fields"));
  var list = live.querySelector(".preview-list");
  var numbering = document.getElementById("thread-numbering");
  var timer = null, inFlight = null, seq = 0, lastResult = null;

  function fmt(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) { return values[key]; });
  }
  function csrf() {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function rowOf(id) { return form.querySelector('.channel-row[data-channel="' + id + '"]'); }
  function field(row, name) { return row.querySelector('[name="' + name + "_" + row.getAttribute("data-channel") + '"]'); }
  function threadParts(value) {
    return value.split(/\n\s*---\s*\n/).map(function (p) { return p.trim(); }).filter(Boolean);
  }

  function variantOf(row) {
    var v = {}, override = field(row, "override"), text = field(row, "variant_text");
    if (override && override.checked) v.text = text.value;
    var link = field(row, "variant_link"), comment = field(row, "variant_first_comment");
    var thread = field(row, "variant_thread");
    if (link && link.value.trim()) v.link = link.value.trim();
    if (comment && comment.value.trim()) v.first_comment = comment.value;
    if (thread && threadParts(thread.value).length) v.thread = threadParts(thread.value);
    return v;
  }

  function payload() {
    var channels = [], variants = {};
    form.querySelectorAll(".channel-row").forEach(function (row) {
      if (!row.querySelector("input[name=channels]").checked) return;
      var id = row.getAttribute("data-channel");
      channels.push(parseInt(id, 10));
      var v = variantOf(row);
      if (Object.keys(v).length) variants[id] = v;
    });
    var media = [];
    form.querySelectorAll("input[name=media_id]").forEach(function (i) { media.push(parseInt(i.value, 10)); });
    var cw = form.querySelector("input[name=content_warning]");
    return {
      workspace: parseInt(live.getAttribute("data-workspace"), 10),
      text: form.querySelector("textarea[name=text]").value,
      content_warning: cw ? cw.value : "",
      channels: channels, media: media, variants: variants,
      split: true, numbering: !!(numbering && numbering.checked)
    };
  }

  // Code-point index (what the server counts in) -> JavaScript string index (UTF-16).
  function jsIndex(text, codePoints) { return Array.from(text).slice(0, codePoints).join("").length; }

  function textOf(row) {
    var override = field(row, "override");
    return override && override.checked ? field(row, "variant_text").value : form.querySelector("textarea[name=text]").value;
  }

  function show(result) {
    lastResult = result;
    var seen = {};
    result.channels.forEach(function (c) {
      var row = rowOf(c.channel_id);
      if (!row) return;
      seen[c.channel_id] = true;
      var counter = row.querySelector(".counter");
      counter.textContent = c.measures.map(function (m) {
        return m.count + " / " + m.limit + (c.measures.length > 1 ? " " + (units[m.unit] || m.unit) : "");
      }).join(" · ");
      counter.classList.toggle("over", !c.fits);
      counter.classList.toggle("near", c.fits && c.measures.some(function (m) { return m.remaining < m.limit * 0.1; }));
      counter.title = c.measures.map(function (m) { return m.count + " / " + m.limit + " " + (units[m.unit] || m.unit); }).join("; ");
      var over = row.querySelector(".live-over");
      var worst = c.measures.filter(function (m) { return m.over_by > 0; })[0];
      if (worst) {
        var text = textOf(row), from = jsIndex(text, worst.overflow_at);
        over.textContent = fmt(live.getAttribute("data-over"), { n: worst.over_by, unit: units[worst.unit] || worst.unit }) + " ";
        var mark = document.createElement("mark");
        mark.textContent = text.slice(from, from + 80) + (text.length - from > 80 ? "…" : "");
        over.appendChild(mark);
        over.hidden = false;
      } else { over.hidden = true; over.textContent = ""; }
      var problems = row.querySelector(".live-problems");
      problems.innerHTML = "";
      c.problems.forEach(function (p) {
        if (p.field === "text" && worst && /too_long|too_many_bytes/.test(p.code)) return;
        var li = document.createElement("li"); li.className = "error"; li.textContent = p.message;
        problems.appendChild(li);
      });
      var overrides = row.querySelector(".live-overrides");
      overrides.hidden = !c.overrides.length;
      overrides.querySelector(".live-overrides-text").textContent = fmt(live.getAttribute("data-differs"), {
        fields: c.overrides.map(function (f) { return fieldNames[f] || f; }).join(", ")
      }) + " ";
      row.classList.toggle("deviates", c.overrides.length > 0);
      var split = row.querySelector(".live-split");
      split.hidden = !c.suggested_thread;
      if (c.suggested_thread) {
        split.querySelector(".live-split-text").textContent = fmt(live.getAttribute("data-split-text"), { n: c.suggested_thread.length }) + " ";
      }
    });
    form.querySelectorAll(".channel-row").forEach(function (row) {
      if (seen[row.getAttribute("data-channel")]) return;
      row.querySelector(".counter").textContent = "";
      row.querySelectorAll(".live-over, .live-overrides, .live-split").forEach(function (e) { e.hidden = true; });
      row.querySelector(".live-problems").innerHTML = "";
    });
    drawPreviews(result);
  }

  function drawPreviews(result) {
    list.innerHTML = "";
    result.channels.forEach(function (c) {
      var p = c.preview, card = document.createElement("article");
      card.className = "preview preview-" + p.network;
      card.setAttribute("data-preview-for", c.channel_id);
      var head = document.createElement("h3");
      head.textContent = c.channel + " · " + p.name;
      card.appendChild(head);
      if (p.content_warning) {
        var cw = document.createElement("p"); cw.className = "preview-cw";
        cw.textContent = live.getAttribute("data-cw") + ": " + p.content_warning; card.appendChild(cw);
      }
      p.parts.forEach(function (part, index) {
        var body = document.createElement("p");
        body.className = "preview-part" + (index ? " reply" : "");
        var shown = 0;
        part.segments.forEach(function (s) {
          if (p.fold_at && !index && shown >= p.fold_at) return;
          var text = s.text;
          if (p.fold_at && !index && shown + text.length > p.fold_at) text = text.slice(0, p.fold_at - shown);
          shown += text.length;
          var el;
          if (s.kind === "link") { el = document.createElement("a"); el.href = s.href; el.rel = "nofollow noopener"; el.target = "_blank"; }
          else if (s.kind === "text") { el = document.createElement("span"); }
          else { el = document.createElement("span"); el.className = "preview-" + s.kind; }
          el.textContent = text;
          body.appendChild(el);
        });
        if (p.fold_at && !index && part.length > p.fold_at) {
          var more = document.createElement("span"); more.className = "muted"; more.textContent = " " + live.getAttribute("data-more");
          body.appendChild(more);
        }
        card.appendChild(body);
      });
      if (p.media_count) {
        var m = document.createElement("p"); m.className = "muted small";
        m.textContent = fmt(live.getAttribute("data-media"), { n: p.media_count }); card.appendChild(m);
      }
      if (p.first_comment) {
        var fc = document.createElement("p"); fc.className = "preview-part reply";
        fc.textContent = live.getAttribute("data-comment") + ": " + p.first_comment; card.appendChild(fc);
      }
      list.appendChild(card);
    });
  }

  function run() {
    var body = payload();
    if (!body.channels.length) { show({ channels: [] }); return; }
    var mine = ++seq;
    if (inFlight) inFlight.abort();
    inFlight = new AbortController();
    fetch(live.getAttribute("data-api"), {
      method: "POST", credentials: "same-origin", signal: inFlight.signal,
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify(body)
    }).then(function (r) { return r.ok ? r.json() : null; }).then(function (result) {
      // Only the answer to the latest question counts: typing fast must not show stale verdicts.
      if (result && mine === seq) { show(result); live.setAttribute("data-checked", String(mine)); }
    }).catch(function () { /* aborted or offline: the server checks again on save */ });
  }
  function schedule() { clearTimeout(timer); timer = setTimeout(run, 250); }

  form.addEventListener("click", function (event) {
    var row = event.target.closest(".channel-row");
    if (!row) return;
    if (event.target.hasAttribute("data-resync")) {
      // Back to the main post: drop every override of this channel.
      var override = field(row, "override");
      if (override) override.checked = false;
      ["variant_text", "variant_link", "variant_first_comment", "variant_thread"].forEach(function (name) {
        var el = field(row, name); if (el) el.value = "";
      });
      run();
    } else if (event.target.hasAttribute("data-split") && lastResult) {
      var id = parseInt(row.getAttribute("data-channel"), 10);
      var c = lastResult.channels.filter(function (x) { return x.channel_id === id; })[0];
      if (!c || !c.suggested_thread) return;
      var parts = c.suggested_thread;
      var override = field(row, "override");
      override.checked = true;
      field(row, "variant_text").value = parts[0];
      field(row, "variant_thread").value = parts.slice(1).join("\n---\n");
      row.querySelectorAll("details.override").forEach(function (d) { d.open = true; });
      run();
    }
  });
  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  if (numbering) numbering.addEventListener("change", schedule);
  run();
})();

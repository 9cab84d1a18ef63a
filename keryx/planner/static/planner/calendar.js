// Calendar: drag a post to another day (month) or hour (week); click an empty day or slot to
// compose there; arrow keys move between days. Without this script every post is still a link
// and every day a "new post" link; the post page has a reschedule form.
(function () {
  "use strict";
  var grid = document.querySelector("[data-calendar]");
  if (!grid) return;
  var status = document.getElementById("cal-status");
  var csrf = document.querySelector("#cal-csrf [name=csrfmiddlewaretoken]");
  var dragged = null;
  var origin = null;

  // The week opens at the working day (08:00), or an hour before now when today is shown.
  var scroller = grid.closest(".cal-scroll");
  if (scroller && grid.classList.contains("cal-week")) {
    var now = new Date().getHours();
    var hour = grid.querySelector("thead th.today") && now > 9 ? now - 1 : 8;
    var row = grid.tBodies[0] && grid.tBodies[0].rows[hour];
    var head = grid.tHead ? grid.tHead.offsetHeight : 0;
    if (row) scroller.scrollTop = row.offsetTop - head;
  }

  function say(text, isError) {
    status.textContent = text;
    status.className = "cal-status " + (isError ? "error" : "ok");
  }

  function dropTarget(el) {
    return el && el.closest ? el.closest("[data-day], [data-slot]") : null;
  }

  grid.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest("[data-move]");
    if (!card) return;
    dragged = card;
    origin = { parent: card.parentNode, next: card.nextSibling };
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.getAttribute("data-post"));
    card.classList.add("dragging");
  });

  grid.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    grid.querySelectorAll(".drop-over").forEach(function (el) { el.classList.remove("drop-over"); });
  });

  grid.addEventListener("dragover", function (event) {
    var cell = dropTarget(event.target);
    if (!dragged || !cell) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    grid.querySelectorAll(".drop-over").forEach(function (el) {
      if (el !== cell) el.classList.remove("drop-over");
    });
    cell.classList.add("drop-over");
  });

  grid.addEventListener("drop", function (event) {
    var cell = dropTarget(event.target);
    if (!dragged || !cell) return;
    event.preventDefault();
    cell.classList.remove("drop-over");
    var card = dragged;
    var back = origin;
    dragged = null;
    if (cell === back.parent) return;
    cell.appendChild(card);  // optimistic; undone if the server refuses
    card.classList.add("moving");
    var body = new URLSearchParams();
    if (cell.hasAttribute("data-day")) body.set("day", cell.getAttribute("data-day"));
    else body.set("slot", cell.getAttribute("data-slot"));
    fetch(card.getAttribute("data-move"), {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Accept": "application/json",
        "Content-Type": "application/x-www-form-urlencoded",
        "X-CSRFToken": csrf ? csrf.value : ""
      },
      body: body.toString()
    }).then(function (response) {
      return response.json().catch(function () { return { ok: false, error: response.statusText }; })
        .then(function (data) { data.httpStatus = response.status; return data; });
    }).then(function (data) {
      card.classList.remove("moving");
      if (data.ok) {
        var time = card.querySelector(".cal-time");
        if (time) time.textContent = data.time;
        card.setAttribute("data-day", data.day);
        say(data.message, false);
      } else {
        back.parent.insertBefore(card, back.next);
        say(data.error || status.getAttribute("data-failed") || "Refused", true);
      }
    }).catch(function () {
      card.classList.remove("moving");
      back.parent.insertBefore(card, back.next);
      say(status.getAttribute("data-offline") || "Network error", true);
    });
  });

  // A click on the empty part of a day or slot opens the composer there.
  grid.addEventListener("click", function (event) {
    if (event.target.closest("a, button, input, select")) return;
    var cell = dropTarget(event.target);
    var add = cell && cell.querySelector("a.cal-add");
    if (add) window.location.href = add.href;
  });

  // Arrow keys move between days (month: ±1 day, ±1 week; week: ±1 day, ±1 hour).
  grid.addEventListener("keydown", function (event) {
    var keys = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: "up", ArrowDown: "down" };
    if (!(event.key in keys) || !event.target.matches("[data-nav]")) return;
    var cells = Array.prototype.slice.call(grid.querySelectorAll("[data-day], [data-slot]"));
    var cell = dropTarget(event.target);
    var index = cells.indexOf(cell);
    var row = cell.parentNode.querySelectorAll("[data-day], [data-slot]").length;
    var step = keys[event.key];
    if (step === "up") step = -row;
    if (step === "down") step = row;
    var next = cells[index + step];
    var focus = next && next.querySelector("[data-nav]");
    if (focus) { event.preventDefault(); focus.focus(); }
  });
})();

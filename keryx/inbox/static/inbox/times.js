// The inbox page's response-time card is fetched after the stream is shown: the figures read
// every answered item of the period, and the stream should not wait for them.
(function () {
  "use strict";
  var card = document.getElementById("response-times");
  if (!card || !card.dataset.src || !window.fetch) { return; }
  fetch(card.dataset.src, { credentials: "same-origin" })
    .then(function (response) { return response.ok ? response.text() : null; })
    .then(function (html) {
      if (html === null) { return; }
      var parsed = new DOMParser().parseFromString(html, "text/html");
      card.replaceChildren.apply(card, Array.prototype.slice.call(parsed.body.childNodes));
    })
    .catch(function () { /* the link to the page stays */ });
})();

// Media library: drag-and-drop upload of several files, and the focal point picker.
(function () {
  "use strict";
  const form = document.getElementById("library-upload");
  if (form) {
    const input = document.getElementById("library-files");
    const list = document.getElementById("upload-results");
    const send = async (files) => {
      if (!files.length) return;
      const data = new FormData();
      data.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
      data.append("tags", document.getElementById("library-upload-tags").value);
      Array.from(files).slice(0, Number(form.dataset.max || 20)).forEach((f) => data.append("files", f));
      form.classList.add("busy");
      try {
        const response = await fetch(form.action, {method: "POST", body: data, headers: {Accept: "application/json"}, credentials: "same-origin"});
        const body = await response.json();
        list.replaceChildren();
        let added = 0;
        for (const r of body.results) {
          const li = document.createElement("li");
          li.className = r.ok ? "ok" : "error";
          li.textContent = r.ok ? r.name : (r.error || r.name);
          list.append(li);
          if (r.ok) added += 1;
        }
        if (added && !list.querySelector(".error")) window.location.reload();
      } finally {
        form.classList.remove("busy");
      }
    };
    form.addEventListener("submit", (event) => { event.preventDefault(); send(input.files); });
    ["dragenter", "dragover"].forEach((name) => form.addEventListener(name, (event) => {
      event.preventDefault(); form.classList.add("over");
    }));
    ["dragleave", "drop"].forEach((name) => form.addEventListener(name, (event) => {
      event.preventDefault(); form.classList.remove("over");
    }));
    form.addEventListener("drop", (event) => send(event.dataTransfer.files));
  }
  const image = document.getElementById("focal-image");
  const marker = document.getElementById("focal-marker");
  const fx = document.getElementById("focal-x");
  const fy = document.getElementById("focal-y");
  if (image && marker && fx && fy) {
    image.addEventListener("click", (event) => {
      const box = image.getBoundingClientRect();
      const x = Math.min(1, Math.max(0, (event.clientX - box.left) / box.width));
      const y = Math.min(1, Math.max(0, (event.clientY - box.top) / box.height));
      fx.value = x.toFixed(4); fy.value = y.toFixed(4);
      marker.style.left = (x * 100) + "%"; marker.style.top = (y * 100) + "%";
    });
  }
})();

// Drag and drop onto a drop zone: the dropped files go into the form's file input and
// the form is sent as if they had been chosen; the file input stays the fallback.
(function () {
  "use strict";
  document.querySelectorAll("form[data-upload]").forEach(function (form) {
    var zone = form.querySelector("[data-dropzone]");
    var input = form.querySelector("[data-file-input]");
    var chosen = form.querySelector("[data-chosen]");
    function showNames() {
      chosen.textContent = Array.prototype.map.call(input.files, function (f) { return f.name; }).join(", ");
    }
    input.addEventListener("change", showNames);
    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (event) { event.preventDefault(); zone.classList.add("dragging"); });
    });
    ["dragleave", "drop"].forEach(function (type) {
      zone.addEventListener(type, function (event) { event.preventDefault(); zone.classList.remove("dragging"); });
    });
    zone.addEventListener("drop", function (event) {
      if (!event.dataTransfer || !event.dataTransfer.files.length) { return; }
      input.files = event.dataTransfer.files;
      showNames();
      form.requestSubmit ? form.requestSubmit() : form.submit();
    });
  });
})();

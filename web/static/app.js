// Show every <time datetime> in the reader's own time zone (the server writes UTC), except
// those the server wrote in the display zone already (data-zone).
(function () {
  "use strict";
  var pad = function (n) { return String(n).padStart(2, "0"); };
  document.querySelectorAll("time[datetime]:not([data-zone])").forEach(function (el) {
    var when = new Date(el.getAttribute("datetime"));
    if (isNaN(when)) { return; }
    el.title = el.textContent;
    el.textContent = when.getFullYear() + "-" + pad(when.getMonth() + 1) + "-" + pad(when.getDate()) +
      " " + pad(when.getHours()) + ":" + pad(when.getMinutes());
  });
  // On a narrow screen the stage bar scrolls sideways: keep the current stage in view.
  function centreStage() {
    document.querySelectorAll(".stages").forEach(function (bar) {
      var done = bar.querySelectorAll(".stage-done");
      var current = bar.querySelector(".stage-current") || done[done.length - 1];
      if (current) { bar.scrollLeft = current.offsetLeft - (bar.clientWidth - current.clientWidth) / 2; }
    });
  }
  centreStage();
  window.addEventListener("resize", centreStage);
  // A second click on a submit button must not send the form twice.
  document.querySelectorAll("form[method=post]").forEach(function (form) {
    form.addEventListener("submit", function () {
      setTimeout(function () {
        form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
      }, 0);
    });
  });
  // "/" (when not typing) and Ctrl+K or ⌘K anywhere put the cursor in the header's search box.
  var search = document.getElementById("global-search");
  if (search) {
    document.addEventListener("keydown", function (event) {
      var target = event.target;
      var typing = target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
      var slash = event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey;
      var ctrlK = (event.ctrlKey || event.metaKey) && (event.key === "k" || event.key === "K");
      if (slash || ctrlK) {
        event.preventDefault();
        search.focus();
        search.select();
      } else if (event.key === "Escape" && target === search) {
        search.blur();
      }
    });
  }
})();

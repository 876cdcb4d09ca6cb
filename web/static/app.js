// Times come written by the server in the display zone (web/i18n.py local_time_tag).
(function () {
  "use strict";
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

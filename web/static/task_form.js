// Fields a form declares as conditional (x-visible-when, a small JSON Schema over the
// form's other fields) show only while their condition holds. Hidden fields are disabled
// so they are not sent; without this script they are all shown and the server decides.
(function () {
  "use strict";
  function valueOf(form, name) {
    var checked = form.querySelector('[name="' + name + '"]:checked');
    if (checked) { return checked.value; }
    var input = form.querySelector('[name="' + name + '"]:not([type=radio])');
    return input && input.value !== "" ? input.value : undefined;
  }
  // The subset the form definitions use: not, required, properties with const or enum.
  function holds(schema, form) {
    if (schema.not) { return !holds(schema.not, form); }
    var required = schema.required || [];
    for (var i = 0; i < required.length; i++) {
      if (valueOf(form, required[i]) === undefined) { return false; }
    }
    var properties = schema.properties || {};
    return Object.keys(properties).every(function (name) {
      var rule = properties[name], value = valueOf(form, name);
      if (value === undefined) { return true; }
      if ("const" in rule) { return value === String(rule["const"]); }
      if (rule["enum"]) { return rule["enum"].map(String).indexOf(value) >= 0; }
      return true;
    });
  }
  document.querySelectorAll("form.taskform").forEach(function (form) {
    var conditional = Array.prototype.slice.call(form.querySelectorAll("[data-visible-when]"));
    if (!conditional.length) { return; }
    function update() {
      conditional.forEach(function (field) {
        var shown = holds(JSON.parse(field.getAttribute("data-visible-when")), form);
        field.hidden = !shown;
        field.querySelectorAll("input, select, textarea").forEach(function (input) {
          if (!input.hasAttribute("data-always-disabled")) { input.disabled = !shown; }
        });
        var hint = field.querySelector(".hint[id^='h-']");
        if (hint && shown) { hint.hidden = true; }  // the condition is met: no need to say it
      });
    }
    conditional.forEach(function (field) {
      field.querySelectorAll("input, select, textarea").forEach(function (input) {
        if (input.disabled) { input.setAttribute("data-always-disabled", ""); }
      });
    });
    form.addEventListener("change", update);
    form.addEventListener("input", update);
    update();
  });
})();

/* Show a question only when the earlier answer it depends on is given (show_if). Without this
   script every question shows, and the server ignores answers to questions whose condition is not
   met — the page works either way. */
(function () {
  "use strict";
  var form = document.querySelector(".survey-form");
  if (!form) { return; }
  var dependents = form.querySelectorAll("fieldset[data-show-if]");
  if (!dependents.length) { return; }
  function chosen(code) {
    var out = [];
    form.querySelectorAll("[name='" + code + "']").forEach(function (input) {
      if ((input.type === "radio" || input.type === "checkbox") && input.checked) { out.push(input.value); }
    });
    return out;
  }
  function visible(code) {
    var box = document.getElementById("q-" + code);
    return !box || !box.hidden;
  }
  function update() {
    // In document order: a question's condition is always on an earlier question.
    dependents.forEach(function (box) {
      var on = box.getAttribute("data-show-if");
      var wanted = box.getAttribute("data-show-values").split(",");
      var show = visible(on) && chosen(on).some(function (v) { return wanted.indexOf(v) !== -1; });
      box.hidden = !show;
      box.querySelectorAll("input, textarea, select").forEach(function (f) { f.disabled = !show; });
    });
  }
  form.addEventListener("change", update);
  update();
})();

/* Unsent answers of an anonymous ballot stay in this browser, never on the server: a
   half-filled ballot survives a reload or a dropped connection, and is forgotten once it
   is sent. Online ballots keep it in localStorage (the person's own device); meeting slips,
   which may be filled on a shared device, in sessionStorage (this tab only). */
(function () {
  "use strict";
  var form = document.querySelector("form.ballot-form");
  if (!form || !form.getAttribute("data-draft-key")) { return; }
  var store;
  try { store = form.getAttribute("data-draft-store") === "session" ? window.sessionStorage : window.localStorage; }
  catch (e) { return; }
  if (!store) { return; }
  var key = "review-draft:" + form.getAttribute("data-draft-key");
  function fields() { return form.querySelectorAll("input[type=radio], select, textarea"); }
  function save() {
    var data = {};
    fields().forEach(function (f) {
      if (f.type === "radio") { if (f.checked) { data[f.name] = f.value; } }
      else if (f.value) { data[f.name] = f.value; }
    });
    try { store.setItem(key, JSON.stringify(data)); } catch (e) { /* storage full or disabled */ }
  }
  function restore() {
    var data;
    try { data = JSON.parse(store.getItem(key) || "{}"); } catch (e) { data = {}; }
    fields().forEach(function (f) {
      if (!(f.name in data)) { return; }
      if (f.type === "radio") { if (f.value === data[f.name] && !form.querySelector("input[name='" + f.name + "']:checked")) { f.checked = true; } }
      else if (!f.value) { f.value = data[f.name]; }
    });
  }
  restore();
  form.addEventListener("change", save);
  form.addEventListener("input", save);
  form.addEventListener("submit", function () { store.removeItem(key); });
})();

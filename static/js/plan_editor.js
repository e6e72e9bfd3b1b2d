/* Plan tree editor: add, move and remove indicators, set weights/points and sources,
   with live validation by the server (the same reader that checks imported files).
   No framework, no inline script (the Content-Security-Policy allows only this file). */
(function () {
  "use strict";
  var root = document.getElementById("plan-editor");
  if (!root) { return; }
  var state = JSON.parse(document.getElementById("plan-data").textContent);
  var T = JSON.parse(document.getElementById("plan-editor-text").textContent);
  var csrf = document.querySelector("input[name=csrf_token]").value;
  var problemsBox = document.getElementById("plan-problems-live");
  var form = document.getElementById("plan-save-form");
  var sourceTypes = ["manual", "ballot", "survey", "kpi", "bonus", "deduction"];
  var kpiMethods = {linear: ["low", "high"], ratio: ["target", "cap"], lower_better: ["best", "worst"],
                    relative: ["base", "step", "per_step", "max_add", "max_sub"], rank: []};
  var timer = null;

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") { e.textContent = attrs[k]; } else { e.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) { if (c) { e.appendChild(c); } });
    return e;
  }
  function sizeKey() { return state.mode === "points" ? "points" : "weight"; }
  function num(v) { var n = parseFloat(v); return isNaN(n) ? v : n; }
  function changed() { clearTimeout(timer); timer = setTimeout(validate, 300); render(); }

  function input(label, value, onChange, attrs) {
    var i = el("input", Object.assign({value: value === undefined || value === null ? "" : value,
                                       "aria-label": label, placeholder: label}, attrs || {}));
    i.addEventListener("change", function () { onChange(i.value); changed(); });
    return i;
  }
  function select(label, options, value, onChange) {
    var s = el("select", {"aria-label": label});
    options.forEach(function (o) {
      var opt = el("option", {value: o[0], text: o[1]});
      if (o[0] === value) { opt.selected = true; }
      s.appendChild(opt);
    });
    s.addEventListener("change", function () { onChange(s.value); changed(); });
    return s;
  }
  function button(text, title, onClick) {
    var b = el("button", {type: "button", "class": "secondary outline small", title: title, "aria-label": title, text: text});
    b.addEventListener("click", function () { onClick(); changed(); });
    return b;
  }
  function newCode() {
    var used = {}, n = 1;
    (function walk(nodes) { nodes.forEach(function (x) { used[x.code] = true; walk(x.children || []); }); })(state.indicators);
    while (used["item" + n]) { n += 1; }
    return "item" + n;
  }
  function newNode() {
    var node = {code: newCode(), name: T.new_indicator, source: {type: "manual"}};
    node[sizeKey()] = 0;
    return node;
  }

  function sourceFields(node) {
    var src = node.source || (node.source = {type: "manual"});
    var box = el("div", {"class": "source-fields"});
    box.appendChild(select(T.source, sourceTypes.map(function (t) { return [t, T.sources[t]]; }), src.type,
      function (v) { node.source = {type: v}; if (v === "kpi") { node.source.method = "linear"; node.source.measure = node.code; } }));
    if (src.type === "ballot") {
      box.appendChild(input(T.scale, src.scale, function (v) { src.scale = v; }));
      var groups = Object.keys(src.groups || {}).map(function (g) { return g + ":" + src.groups[g]; }).join(", ");
      box.appendChild(input(T.groups, groups, function (v) {
        src.groups = {};
        v.split(/[,，]/).forEach(function (part) {
          var kv = part.split(/[:：]/);
          if (kv.length === 2 && kv[0].trim()) { src.groups[kv[0].trim()] = num(kv[1].trim()); }
        });
      }, {size: 28}));
    } else if (src.type === "survey") {
      box.appendChild(input(T.questionnaire, src.questionnaire, function (v) { src.questionnaire = v; }));
    } else if (src.type === "kpi") {
      box.appendChild(input(T.measure, src.measure, function (v) { src.measure = v; }));
      box.appendChild(select(T.method, Object.keys(kpiMethods).map(function (m) { return [m, T.methods[m]]; }),
        src.method, function (v) { node.source = {type: "kpi", measure: src.measure, method: v}; }));
      (kpiMethods[src.method] || []).forEach(function (p) {
        box.appendChild(input(p, src[p], function (v) { if (v === "") { delete src[p]; } else { src[p] = num(v); } }, {size: 6}));
      });
    } else if (src.type === "bonus" || src.type === "deduction") {
      box.appendChild(input(T.per_occurrence, src.per_occurrence, function (v) { src.per_occurrence = num(v); }, {size: 6}));
      box.appendChild(input(T.cap, src.cap, function (v) { if (v === "") { delete src.cap; } else { src.cap = num(v); } }, {size: 6}));
    }
    return box;
  }

  function nodeRow(node, siblings, index, depth, parent) {
    // parent: {siblings, index} of the node's parent, or null at the top level.
    var li = el("li", {"class": "plan-node depth-" + depth});
    var row = el("div", {"class": "node-row"});
    row.appendChild(input(T.name, node.name, function (v) { node.name = v; }, {"class": "node-name"}));
    row.appendChild(input(T.code, node.code, function (v) { node.code = v; }, {size: 12, "class": "node-code"}));
    row.appendChild(input(state.mode === "points" ? T.points : T.weight, node[sizeKey()],
      function (v) { node[sizeKey()] = num(v); }, {size: 5, inputmode: "decimal", "class": "node-size"}));
    row.appendChild(button("↑", T.up, function () { if (index > 0) { siblings.splice(index - 1, 0, siblings.splice(index, 1)[0]); } }));
    row.appendChild(button("↓", T.down, function () { if (index < siblings.length - 1) { siblings.splice(index + 1, 0, siblings.splice(index, 1)[0]); } }));
    row.appendChild(button("→", T.indent, function () {
      // Become the last child of the sibling above.
      if (index === 0) { return; }
      var above = siblings[index - 1];
      delete above.source; above.children = above.children || [];
      above.children.push(siblings.splice(index, 1)[0]);
    }));
    row.appendChild(button("←", T.outdent, function () {
      // Become the sibling after the parent.
      if (!parent) { return; }
      var moved = siblings.splice(index, 1)[0];
      parent.siblings.splice(parent.index + 1, 0, moved);
      if (siblings.length === 0) { parent.siblings[parent.index].source = {type: "manual"}; }
    }));
    row.appendChild(button("＋", T.add_child, function () {
      delete node.source; node.children = node.children || []; node.children.push(newNode());
    }));
    row.appendChild(button("＋＋", T.add_sibling, function () { siblings.splice(index + 1, 0, newNode()); }));
    row.appendChild(button("✕", T.remove, function () {
      if (siblings.length > 1 || depth > 0 || window.confirm(T.confirm_remove)) { siblings.splice(index, 1); }
    }));
    li.appendChild(row);
    if (node.children && node.children.length) {
      var ul = el("ul", {});
      node.children.forEach(function (c, i) {
        ul.appendChild(nodeRow(c, node.children, i, depth + 1, {siblings: siblings, index: index}));
      });
      li.appendChild(ul);
    } else {
      if (node.children) { delete node.children; }
      li.appendChild(sourceFields(node));
    }
    return li;
  }

  function render() {
    root.textContent = "";
    var head = el("div", {"class": "grid-2"});
    head.appendChild(el("label", {text: T.plan_name}, [input(T.plan_name, state.name, function (v) { state.name = v; })]));
    head.appendChild(el("label", {text: T.mode}, [select(T.mode, [["weights", T.modes.weights], ["points", T.modes.points]],
      state.mode || "weights", function (v) {
        var from = sizeKey(); state.mode = v; var to = sizeKey();
        (function walk(nodes) { nodes.forEach(function (x) { if (from !== to) { x[to] = x[from]; delete x[from]; } walk(x.children || []); }); })(state.indicators);
      })]));
    root.appendChild(head);
    var ul = el("ul", {"class": "plan-tree-editor"});
    state.indicators.forEach(function (n, i) { ul.appendChild(nodeRow(n, state.indicators, i, 0, null)); });
    root.appendChild(ul);
    root.appendChild(button(T.add_dimension, T.add_dimension, function () { state.indicators.push(newNode()); }));
  }

  function showProblems(data) {
    problemsBox.textContent = "";
    if (data.problems.length === 0) {
      problemsBox.appendChild(el("p", {"class": "flash", text: T.valid + " " + data.summary}));
    } else {
      var list = el("ul", {});
      data.problems.forEach(function (p) { list.appendChild(el("li", {text: p})); });
      problemsBox.appendChild(el("div", {"class": "flash flash-error"}, [el("strong", {text: T.invalid}), list]));
    }
  }

  function validate() {
    var req = new XMLHttpRequest();
    req.open("POST", root.getAttribute("data-validate-url"));
    req.setRequestHeader("Content-Type", "application/json");
    req.setRequestHeader("X-CSRFToken", csrf);
    req.onload = function () { if (req.status === 200) { showProblems(JSON.parse(req.responseText)); } };
    req.send(JSON.stringify(state));
  }

  form.addEventListener("submit", function () {
    form.querySelector("input[name=document]").value = JSON.stringify(state);
    var yaml = form.querySelector("textarea[name=yaml]");
    if (yaml && !document.getElementById("use-yaml").checked) { yaml.disabled = true; }
  });
  document.getElementById("plan-editor-js").hidden = false;
  render();
  validate();
})();

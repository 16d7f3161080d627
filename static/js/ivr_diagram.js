// The IVR flow editor (templates/telephony/ivr/_editor.html): tabs (diagram, list, JSON), and a click on a
// diagram box opens that node's form in the side panel through htmx instead of a page of its own.
// Saving the form swaps the whole editor (views/ivr.py _editor_swap), so this file binds nothing to the
// elements themselves: every handler is delegated from the document and survives the swaps.
(function () {
  "use strict";

  var currentTab = "diagram";

  // htmx "settles" a swap by giving each new element, for 20 ms, the class, style, width and height of
  // the old one with the same id (for CSS transitions, which this editor has none of). Chromium leaves an
  // empty style="" on form inputs, and copying a style attribute is an inline style that the
  // Content-Security-Policy refuses (a console error per input); copying classes would show the old
  // problems on the boxes for a moment. So nothing is settled here.
  if (window.htmx) window.htmx.config.attributesToSettle = [];

  function showTab(name) {
    var editor = document.getElementById("ivr-editor");
    if (!editor) return;
    currentTab = name;
    editor.querySelectorAll("[data-ivr-tab]").forEach(function (tab) {
      tab.setAttribute("aria-selected", tab.getAttribute("data-ivr-tab") === name ? "true" : "false");
    });
    editor.querySelectorAll("[data-ivr-panel]").forEach(function (panel) {
      panel.hidden = panel.getAttribute("data-ivr-panel") !== name;
    });
  }

  function select(nodeId) {
    document.querySelectorAll(".ivr-node.selected").forEach(function (node) { node.classList.remove("selected"); });
    document.querySelectorAll(".ivr-edge.highlight").forEach(function (edge) { edge.classList.remove("highlight"); });
    if (!nodeId) return;
    var node = document.getElementById("dnode-" + nodeId);
    if (node) node.classList.add("selected");
    document.querySelectorAll('.ivr-edge[data-source="' + CSS.escape(nodeId) + '"]').forEach(function (edge) {
      edge.classList.add("highlight");
    });
  }

  document.addEventListener("click", function (event) {
    var tab = event.target.closest("[data-ivr-tab]");
    if (tab) {
      showTab(tab.getAttribute("data-ivr-tab"));
      return;
    }
    var close = event.target.closest("[data-ivr-close]");
    if (close) {
      var panel = document.getElementById("node-panel");
      select(null);
      if (panel) panel.innerHTML = "";
      var bench = document.querySelector(".ivr-workbench");
      if (bench) bench.classList.remove("has-panel");
      return;
    }
    // A box of the diagram, or a problem in the lists above it that names a node.
    var node = event.target.closest("a.ivr-node, a[data-open-node]");
    if (node && window.htmx && document.getElementById("node-panel") && !event.ctrlKey && !event.metaKey && !event.shiftKey) {
      event.preventDefault();
      showTab("diagram");
      select(node.getAttribute("data-node") || node.getAttribute("data-open-node"));
      var workbench = document.querySelector(".ivr-workbench");
      if (workbench) workbench.classList.add("has-panel");
      window.htmx.ajax("GET", node.getAttribute("href"), { target: "#node-panel", swap: "innerHTML" });
    }
  });

  // After a save the editor comes back with the list tab hidden again: keep the tab the user was on.
  // (An outerHTML swap replaces the element the event was aimed at: look the editor up again.)
  document.addEventListener("htmx:afterSettle", function () {
    if (!document.getElementById("ivr-editor")) return;
    showTab(currentTab);
    var open = document.querySelector("#node-panel [data-node]");
    select(open ? open.getAttribute("data-node") : null);
  });

  // A page reloaded after a full POST (the JSON form's errors) opens on the JSON tab.
  document.addEventListener("DOMContentLoaded", function () {
    if (document.querySelector('[data-ivr-panel="json"] .has-error, [data-ivr-panel="json"] .errors')) showTab("json");
    else showTab("diagram");
  });
})();

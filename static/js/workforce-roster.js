// The roster editor (templates/workforce/roster.html) and the shift-type swatches.
// Colours come from data-colour (the CSP forbids style attributes; setting them here is allowed).
// Editing: pick a shift type in the palette (or drag it) and click/drop on cells; each change is
// one POST to data-cell-url, answered with the cell and that day's coverage, which is redrawn
// when it is the day shown. Without this script the grid is read-only.
(function () {
  "use strict";

  function paint(element) {
    var colour = element.getAttribute("data-colour");
    if (colour && /^#[0-9A-Fa-f]{6}$/.test(colour)) {
      element.style.backgroundColor = colour;
      var r = parseInt(colour.substr(1, 2), 16), g = parseInt(colour.substr(3, 2), 16), b = parseInt(colour.substr(5, 2), 16);
      element.style.color = (r * 299 + g * 587 + b * 114) / 1000 > 140 ? "#111" : "#fff";
    } else {
      element.style.backgroundColor = "";
      element.style.color = "";
    }
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  function drawCoverage(coverage) {
    var card = document.getElementById("wf-coverage");
    if (!card || !coverage || card.getAttribute("data-date") !== coverage.date) return;
    coverage.intervals.forEach(function (interval, i) {
      var required = card.querySelector('[data-required="' + i + '"]');
      var scheduled = card.querySelector('[data-scheduled="' + i + '"]');
      if (required) required.textContent = String(interval.required);
      if (scheduled) {
        scheduled.textContent = String(interval.scheduled);
        scheduled.classList.toggle("wf-gap", interval.gap > 0);
      }
    });
    var count = card.querySelector("[data-gap-count]");
    if (count) count.textContent = String(coverage.gaps);
  }

  function drawCell(td, cell) {
    td.textContent = cell.code;
    td.classList.remove("wf-draft", "wf-published");
    if (cell.status) td.classList.add("wf-" + cell.status);
    if (cell.colour) td.setAttribute("data-colour", cell.colour);
    else td.removeAttribute("data-colour");
    if (cell.title) td.setAttribute("title", cell.title);
    else td.removeAttribute("title");
    paint(td);
  }

  function setCell(grid, td, shiftType) {
    var body = new FormData();
    body.append("user", td.getAttribute("data-user"));
    body.append("date", td.getAttribute("data-date"));
    body.append("shift_type", shiftType);
    td.classList.add("wf-saving");
    fetch(grid.getAttribute("data-cell-url"), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
    })
      .then(function (response) {
        return response.json().then(function (data) {
          return { ok: response.ok, data: data };
        });
      })
      .then(function (result) {
        td.classList.remove("wf-saving");
        if (!result.ok) {
          if (window.ui) window.ui.toast(result.data.message || grid.getAttribute("data-error"), "bad");
          return;
        }
        drawCell(td, result.data.cell);
        drawCoverage(result.data.coverage);
      })
      .catch(function () {
        td.classList.remove("wf-saving");
        if (window.ui) window.ui.toast(grid.getAttribute("data-error"), "bad");
      });
  }

  function init() {
    document.querySelectorAll("[data-colour]").forEach(paint);
    var grid = document.getElementById("wf-roster");
    if (!grid || !grid.hasAttribute("data-editable")) return;
    var brush = null;
    var brushes = document.querySelectorAll("[data-brush]");
    brushes.forEach(function (button) {
      button.addEventListener("click", function () {
        brushes.forEach(function (other) {
          other.setAttribute("aria-pressed", "false");
        });
        button.setAttribute("aria-pressed", "true");
        brush = button.getAttribute("data-brush");
        grid.classList.add("wf-painting");
      });
      button.addEventListener("dragstart", function (event) {
        event.dataTransfer.setData("text/plain", "brush:" + button.getAttribute("data-brush"));
        event.dataTransfer.effectAllowed = "copy";
      });
    });
    grid.querySelectorAll("[data-cell]").forEach(function (td) {
      td.addEventListener("click", function () {
        if (brush !== null) setCell(grid, td, brush);
      });
      td.addEventListener("dragover", function (event) {
        event.preventDefault();
        td.classList.add("wf-drop");
      });
      td.addEventListener("dragleave", function () {
        td.classList.remove("wf-drop");
      });
      td.addEventListener("drop", function (event) {
        event.preventDefault();
        td.classList.remove("wf-drop");
        var data = event.dataTransfer.getData("text/plain") || "";
        if (data.indexOf("brush:") === 0) setCell(grid, td, data.substr(6));
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();

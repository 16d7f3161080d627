// The shared page behaviours (CONTRIBUTING.md, "Page components"). The Content-Security-Policy
// allows no inline script, so pages ask for behaviour with data- attributes, delegated from here:
//   <form data-confirm="Delete this?">        asks in a <dialog> before submitting
//   <button data-confirm="…"> / <a data-confirm="…">   the same for one button or link
//   <select data-autosubmit>                   submits its form when changed
//   <table data-sortable> <th data-sort="text|number">   sorts the rows by a clicked header
//                                              (a cell's data-sort-value wins over its text)
//   <span data-file-picker>                    shows the chosen file's name (widgets.FileInput)
//   <button data-date-picker="date|datetime">  opens a calendar for its .date-field's input
//                                              (widgets.DateInput / DateTimeInput)
// and one small API other scripts call for realtime notices:
//   ui.toast(text, kind)                       kind: "info" (default), "good", "warn", "bad"
(function () {
  "use strict";

  // --- confirm dialog ------------------------------------------------------------------
  // The labels come from <body data-ui-ok="…" data-ui-cancel="…"> (base.html, translated).
  var dialog = null;

  function labels() {
    var body = document.body;
    return {
      ok: (body && body.getAttribute("data-ui-ok")) || "OK",
      cancel: (body && body.getAttribute("data-ui-cancel")) || "Cancel",
    };
  }

  function confirmDialog() {
    if (dialog) return dialog;
    var text = labels();
    dialog = document.createElement("dialog");
    dialog.className = "confirm-dialog";
    dialog.setAttribute("aria-labelledby", "ui-confirm-text");
    var form = document.createElement("form");
    form.method = "dialog";
    var question = document.createElement("p");
    question.id = "ui-confirm-text";
    question.className = "confirm-text";
    var buttons = document.createElement("div");
    buttons.className = "confirm-buttons";
    var cancel = document.createElement("button");
    cancel.value = "cancel";
    cancel.textContent = text.cancel;
    cancel.className = "confirm-cancel";
    var ok = document.createElement("button");
    ok.value = "ok";
    ok.textContent = text.ok;
    ok.className = "primary confirm-ok";
    buttons.appendChild(cancel);
    buttons.appendChild(ok);
    form.appendChild(question);
    form.appendChild(buttons);
    dialog.appendChild(form);
    document.body.appendChild(dialog);
    return dialog;
  }

  // Opens the dialog with the question; calls onYes only when the user confirms.
  function ask(question, danger, onYes) {
    var box = confirmDialog();
    box.querySelector(".confirm-text").textContent = question;
    box.querySelector(".confirm-ok").classList.toggle("danger", !!danger);
    box.returnValue = "";
    box.onclose = function () {
      box.onclose = null;
      if (box.returnValue === "ok") onYes();
    };
    box.showModal();
    box.querySelector(danger ? ".confirm-cancel" : ".confirm-ok").focus();
  }

  var confirmed = null; // the form or element whose next submit/click was already confirmed

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    if (form.method === "dialog") return;
    var submitter = event.submitter || null;
    var source = submitter && submitter.hasAttribute("data-confirm") ? submitter : form;
    var question = source.getAttribute("data-confirm");
    if (!question) return;
    if (confirmed === form) { confirmed = null; return; }
    event.preventDefault();
    event.stopImmediatePropagation();
    ask(question, source.hasAttribute("data-danger") || (submitter && submitter.classList.contains("danger")), function () {
      confirmed = form;
      if (submitter && form.requestSubmit) form.requestSubmit(submitter);
      else if (form.requestSubmit) form.requestSubmit();
      else form.submit();
    });
  }, true);

  // Links and buttons outside a form submission (e.g. htmx buttons): ask, then click again.
  document.addEventListener("click", function (event) {
    var element = event.target && event.target.closest ? event.target.closest("[data-confirm]") : null;
    if (!element || element instanceof HTMLFormElement) return;
    // Submit buttons of a form are asked for on submit (above).
    if (element.form && (element.type === "submit" || element.type === "image")) return;
    if (confirmed === element) { confirmed = null; return; }
    event.preventDefault();
    event.stopImmediatePropagation();
    ask(element.getAttribute("data-confirm"), element.hasAttribute("data-danger") || element.classList.contains("danger"), function () {
      if (element instanceof HTMLAnchorElement && element.href) { window.location.href = element.href; return; }
      confirmed = element;
      element.click();
    });
  }, true);

  // --- autosubmit ----------------------------------------------------------------------
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field && field.hasAttribute && field.hasAttribute("data-autosubmit") && field.form) field.form.submit();
  });

  // --- sortable tables -----------------------------------------------------------------
  function cellValue(row, index, type) {
    var cell = row.cells[index];
    if (!cell) return type === "number" ? -Infinity : "";
    var raw = cell.hasAttribute("data-sort-value") ? cell.getAttribute("data-sort-value") : cell.textContent.trim();
    if (type === "number") {
      var number = parseFloat(String(raw).replace(/[^0-9.eE+\-]/g, ""));
      return isNaN(number) ? -Infinity : number;
    }
    return String(raw).toLocaleLowerCase();
  }

  function sortBy(header) {
    var table = header.closest("table");
    var body = table && table.tBodies[0];
    if (!body) return;
    var index = header.cellIndex;
    var type = header.getAttribute("data-sort") || "text";
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    var rows = Array.prototype.filter.call(body.rows, function (row) { return !row.hasAttribute("data-sort-fixed"); });
    var fixed = Array.prototype.filter.call(body.rows, function (row) { return row.hasAttribute("data-sort-fixed"); });
    var collator = new Intl.Collator(document.documentElement.lang || undefined, { numeric: true });
    rows.sort(function (a, b) {
      var x = cellValue(a, index, type);
      var y = cellValue(b, index, type);
      var order = type === "number" ? (x === y ? 0 : x < y ? -1 : 1) : collator.compare(x, y);
      return ascending ? order : -order;
    });
    rows.concat(fixed).forEach(function (row) { body.appendChild(row); });
    table.querySelectorAll("th[data-sort]").forEach(function (other) { other.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }

  function prepareSortable(root) {
    (root || document).querySelectorAll("table[data-sortable] th[data-sort]").forEach(function (header) {
      if (header.querySelector("button.sort")) return;
      // A button inside the header: reachable by keyboard, announced as an action.
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (header.firstChild) button.appendChild(header.firstChild);
      header.appendChild(button);
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest ? event.target.closest("table[data-sortable] th[data-sort] button.sort") : null;
    if (button) sortBy(button.closest("th"));
  });

  // --- toasts --------------------------------------------------------------------------
  var KINDS = { info: 1, good: 1, warn: 1, bad: 1 };

  function toastRegion() {
    var region = document.getElementById("toasts");
    if (!region) {
      region = document.createElement("div");
      region.id = "toasts";
      region.className = "toasts";
      region.setAttribute("role", "status");
      region.setAttribute("aria-live", "polite");
      document.body.appendChild(region);
    }
    return region;
  }

  function toast(text, kind, seconds) {
    var item = document.createElement("div");
    item.className = "toast toast-" + (KINDS[kind] ? kind : "info");
    item.textContent = text;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.setAttribute("aria-label", labels().cancel);
    close.textContent = "×";
    close.addEventListener("click", function () { item.remove(); });
    item.appendChild(close);
    toastRegion().appendChild(item);
    window.setTimeout(function () { item.remove(); }, (seconds || (kind === "bad" ? 10 : 5)) * 1000);
    return item;
  }

  // --- file picker (apps/core/widgets.py FileInput) -------------------------------------
  // The browser's own button and "No file chosen" are in its UI language: the native input is
  // hidden inside a translated label-button, and the chosen file's name is written beside it.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!(input instanceof HTMLInputElement) || input.type !== "file") return;
    var picker = input.closest("[data-file-picker]");
    var name = picker && picker.querySelector(".file-picker-name");
    if (!name) return;
    var names = Array.prototype.map.call(input.files || [], function (file) { return file.name; });
    name.textContent = names.length ? names.join(", ") : name.getAttribute("data-empty");
    picker.classList.toggle("chosen", names.length > 0);
  });

  // --- date picker (apps/core/widgets.py DateInput / DateTimeInput) ----------------------
  // A text input in ISO order (2026-12-07) and a small calendar whose month and weekday names
  // come from Intl in the page's language, whatever the browser's own language is.
  var calendar = null; // { box, input, toggle, kind, year, month }

  function pad(number) { return (number < 10 ? "0" : "") + number; }
  function isoDay(year, month, day) { return year + "-" + pad(month + 1) + "-" + pad(day); }
  function pageLanguage() { return document.documentElement.lang || undefined; }

  function parseDay(value) {
    var match = /^\s*(\d{4})-(\d{1,2})-(\d{1,2})/.exec(value || "");
    if (!match) return null;
    var date = new Date(+match[1], +match[2] - 1, +match[3]);
    return isNaN(date.getTime()) ? null : date;
  }

  function closeCalendar(focusToggle) {
    if (!calendar) return;
    var toggle = calendar.toggle;
    calendar.box.remove();
    toggle.setAttribute("aria-expanded", "false");
    calendar = null;
    if (focusToggle) toggle.focus();
  }

  function calendarButton(text, label, className, onClick) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = className;
    button.textContent = text;
    if (label) button.setAttribute("aria-label", label);
    button.addEventListener("click", onClick);
    return button;
  }

  function pickDay(day) {
    var input = calendar.input;
    if (calendar.kind === "datetime") {
      var time = /(\d{1,2}:\d{2}(:\d{2})?)\s*$/.exec(input.value);
      input.value = day + " " + (time ? time[1] : "00:00");
    } else {
      input.value = day;
    }
    closeCalendar(false);
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.dispatchEvent(new Event("change", { bubbles: true }));
    input.focus();
  }

  function drawCalendar() {
    var state = calendar;
    var box = state.box;
    box.textContent = "";
    var head = document.createElement("div");
    head.className = "date-picker-head";
    var title = document.createElement("span");
    title.className = "date-picker-title";
    title.textContent = new Intl.DateTimeFormat(pageLanguage(), { year: "numeric", month: "long" })
      .format(new Date(state.year, state.month, 1));
    head.appendChild(calendarButton("‹", state.toggle.getAttribute("data-prev-label"), "date-picker-prev", function () { moveMonth(-1); }));
    head.appendChild(title);
    head.appendChild(calendarButton("›", state.toggle.getAttribute("data-next-label"), "date-picker-next", function () { moveMonth(1); }));
    box.appendChild(head);

    var table = document.createElement("table");
    table.className = "date-picker-days";
    var headRow = table.createTHead().insertRow();
    var weekday = new Intl.DateTimeFormat(pageLanguage(), { weekday: "narrow" });
    for (var i = 0; i < 7; i++) { // Monday first (2024-01-01 was a Monday)
      var th = document.createElement("th");
      th.scope = "col";
      th.textContent = weekday.format(new Date(2024, 0, 1 + i));
      headRow.appendChild(th);
    }
    var body = table.createTBody();
    var offset = (new Date(state.year, state.month, 1).getDay() + 6) % 7;
    var days = new Date(state.year, state.month + 1, 0).getDate();
    var now = new Date();
    var today = isoDay(now.getFullYear(), now.getMonth(), now.getDate());
    var chosen = parseDay(state.input.value);
    var selected = chosen ? isoDay(chosen.getFullYear(), chosen.getMonth(), chosen.getDate()) : "";
    var row = body.insertRow();
    for (var blank = 0; blank < offset; blank++) row.insertCell();
    for (var day = 1; day <= days; day++) {
      if (row.cells.length === 7) row = body.insertRow();
      var value = isoDay(state.year, state.month, day);
      var button = calendarButton(String(day), value, "date-picker-day", pickDay.bind(null, value));
      button.setAttribute("data-day", value);
      if (value === today) button.classList.add("today");
      if (value === selected) { button.classList.add("selected"); button.setAttribute("aria-pressed", "true"); }
      row.insertCell().appendChild(button);
    }
    box.appendChild(table);
  }

  function moveMonth(delta) {
    var first = new Date(calendar.year, calendar.month + delta, 1);
    calendar.year = first.getFullYear();
    calendar.month = first.getMonth();
    drawCalendar();
  }

  function openCalendar(toggle) {
    var field = toggle.closest(".date-field");
    var input = field && field.querySelector("input");
    if (!input) return;
    var start = parseDay(input.value) || new Date();
    var box = document.createElement("div");
    box.className = "date-picker";
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-label", toggle.getAttribute("aria-label") || "");
    calendar = { box: box, input: input, toggle: toggle, kind: toggle.getAttribute("data-date-picker") || "date",
                 year: start.getFullYear(), month: start.getMonth() };
    drawCalendar();
    field.appendChild(box);
    toggle.setAttribute("aria-expanded", "true");
    var focus = box.querySelector(".date-picker-day.selected") || box.querySelector(".date-picker-day.today") || box.querySelector(".date-picker-day");
    if (focus) focus.focus();
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    var toggle = target && target.closest ? target.closest("[data-date-picker]") : null;
    if (toggle) {
      var same = calendar && calendar.toggle === toggle;
      closeCalendar(false);
      if (!same) openCalendar(toggle);
      return;
    }
    // A click on a month button redraws the calendar, detaching the button before this runs.
    if (calendar && target.isConnected && !calendar.box.contains(target)) closeCalendar(false);
  });

  document.addEventListener("keydown", function (event) {
    if (calendar && event.key === "Escape") { event.preventDefault(); closeCalendar(true); }
  });

  // Top-bar menus (<details class="navmenu">): one open at a time, closed by a click elsewhere or Escape.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.navmenu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });
  document.addEventListener("toggle", function (event) {
    var menu = event.target;
    if (!(menu instanceof HTMLDetailsElement) || !menu.classList.contains("navmenu") || !menu.open) return;
    document.querySelectorAll("details.navmenu[open]").forEach(function (other) {
      if (other !== menu) other.removeAttribute("open");
    });
  }, true);
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details.navmenu[open]").forEach(function (menu) { menu.removeAttribute("open"); });
  });

  window.ui = window.ui || {};
  window.ui.toast = toast;
  window.ui.confirm = ask;
  window.ui.sortable = prepareSortable;

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { prepareSortable(); });
  else prepareSortable();
  // htmx swaps in new tables (e.g. the audit log's pages): make them sortable too.
  document.addEventListener("htmx:afterSwap", function (event) { prepareSortable(event.target); });
})();

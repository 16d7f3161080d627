/* The knowledge-base panel on the agent desk (templates/crm/kb/_panel.html).
 * The desk only holds an empty #desk-kb that loads /kb/panel/ by htmx. This script keeps to
 * itself like desk_outbound.js: its own /ws/agent/ socket (the server sends every socket of the
 * agent the same messages) tells it which call is on the desk and its queue; the panel is then
 * fetched again for that call (the server adds the IVR path and disposition from the call). A
 * disposition picked in the wrap-up form refreshes it too. A standard phrase clicked goes into the
 * wrap-up notes when the form is open, else to the clipboard, and its use is counted. */
/* exported startKbPanel */
function startKbPanel() {
  "use strict";
  var root = document.getElementById("desk-kb");
  var Live = window.Live;
  if (!root || !window.htmx) return;
  var url = root.getAttribute("data-kb-panel") || root.getAttribute("hx-get");
  var current = { call: "", queue: "", disposition: "" };

  function refresh() {
    var params = new URLSearchParams();
    if (current.call) params.set("call", current.call);
    if (current.queue) params.set("queue", current.queue);
    if (current.disposition) params.set("disposition", current.disposition);
    window.htmx.ajax("GET", url + "?" + params.toString(), { target: "#desk-kb", swap: "innerHTML" });
  }

  function onCall(message) {
    var uid = message.call_uid || "";
    if (!uid || uid === current.call) return;
    current = { call: uid, queue: message.queue_name || "", disposition: "" };
    refresh();
  }

  function onMessage(message) {
    if (message.type === "snapshot" && message.call) onCall(message.call);
    else if (message.type === "call.offer" || message.type === "call.answered") onCall(message);
  }

  var disposition = document.getElementById("wrapup-disposition");
  if (disposition) {
    disposition.addEventListener("change", function () {
      var option = disposition.options[disposition.selectedIndex];
      current.disposition = disposition.value && option ? option.text : "";
      if (current.call) refresh();
    });
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function say(panel, key) {
    var note = panel && panel.querySelector(".kb-panel-copied");
    if (!note) return;
    note.textContent = note.getAttribute(key) || "";
    note.hidden = false;
  }

  function insert(text, panel) {
    var notes = document.getElementById("wrapup-notes");
    var form = document.getElementById("panel-wrapup");
    if (notes && form && !form.hidden) {
      var start = notes.selectionStart || notes.value.length;
      var before = notes.value.slice(0, start);
      var gap = before && !/\s$/.test(before) ? " " : "";
      notes.value = before + gap + text + notes.value.slice(notes.selectionEnd || start);
      notes.focus();
      say(panel, "data-inserted");
    } else if (navigator.clipboard) {
      navigator.clipboard.writeText(text).then(
        function () {
          say(panel, "data-copied");
        },
        function () {}
      );
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest(".kb-phrase") : null;
    if (!button || !root.contains(button)) return;
    var panel = button.closest(".kb-panel");
    insert(button.getAttribute("data-text") || "", panel);
    var body = new URLSearchParams();
    body.set("call", current.call);
    fetch(button.getAttribute("data-use-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "Content-Type": "application/x-www-form-urlencoded" },
      body: body.toString(),
    })
      .then(function (response) {
        return response.ok ? response.text() : null;
      })
      .then(function (count) {
        var shown = button.parentNode.querySelector(".kb-phrase-count");
        if (shown && count !== null) shown.textContent = count.trim();
      })
      .catch(function () {});
  });

  var config = Live && Live.readJson("desk-config");
  if (config && config.ws) Live.connect(config.ws, onMessage, function () {});
}

// htmx is loaded with ``defer`` (base.html): it exists once the document has been parsed.
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", startKbPanel);
else startKbPanel();

/* The outbound side of the agent desk (templates/telephony/campaigns/_desk_outbound.html).
 * It keeps to itself: its own /ws/agent/ socket (the server sends every socket of the agent the
 * same messages), its own panels, and two points of contact with desktop.js — a disposition
 * picked here is set in the wrap-up form's #wrapup-disposition, which desktop.js submits (during a
 * campaign wrap-up the campaign's choices replace the plain list: one disposition control), and a
 * "desk:contact" event names the contact for the customer panel after a reload.
 *   campaign.preview → the next contact with Dial / Skip (preview mode);
 *   call.offer with campaign_id → the contact's card and the rendered script;
 *   call.wrapup → the campaign's dispositions (final / retry / do not call) and a callback form.
 * After a reload the snapshot has no campaign part: GET /api/v1/calls/<uid>/campaign fills it
 * in, and POST /api/v1/agents/me/preview/next has the engine show the preview again. */
(function () {
  "use strict";
  var Live = window.Live;
  var root = document.getElementById("outbound");
  if (!Live || !root) return;
  var data = root.dataset;
  var agentId = Number(data.agentId);
  var $ = function (id) {
    return document.getElementById(id);
  };

  var state = "offline";
  var current = null; // {call_uid, campaign_id, campaign_name, contact, script, dispositions}
  var preview = null; // the campaign.preview message shown now
  var previewLabels = {}; // contact_id → its list's column headers (campaign.preview has keys only)
  var asked = false; // preview/next sent once after this page loaded
  var chosen = null;

  function format(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (match, key) {
      return values[key] === undefined ? match : String(values[key]);
    });
  }

  function notice(text) {
    $("outbound-notice").textContent = text || "";
  }

  function request(method, path, body) {
    return Live.api(data.api, method, path, body);
  }

  function errorText(error) {
    var fields = (error && error.fields) || {};
    var details = Object.keys(fields)
      .map(function (name) {
        return [].concat(fields[name]).join(" ");
      })
      .join(" ");
    return ((error && error.message) || data.labelError) + (details ? " " + details : "");
  }

  // ``labels``: custom fields' names as the contact list's columns called them (campaign_call_context).
  function fillFields(list, fields, labels) {
    list.textContent = "";
    Object.keys(fields || {})
      .filter(function (key) {
        return fields[key] !== "" && fields[key] !== null && key !== "name";
      })
      .forEach(function (key) {
        var label = root.getAttribute("data-field-" + key) || (labels && labels[key]) || key; // standard fields by name
        list.appendChild(Live.element("dt", {}, label));
        list.appendChild(Live.element("dd", {}, fields[key]));
      });
  }

  function renderPreview() {
    var shown = preview !== null && state === "ready";
    $("outbound-preview").hidden = !shown;
    if (!shown) return;
    var contact = preview.contact || {};
    $("preview-campaign").textContent = preview.campaign_name || "";
    $("preview-name").textContent = contact.name || contact.number || "";
    $("preview-number").textContent = contact.number || "";
    $("preview-attempt").textContent = format(data.labelAttempt, { n: contact.attempt || 1 });
    fillFields($("preview-fields"), contact.fields, previewLabels[contact.contact_id]);
    $("preview-script").textContent = preview.script || "";
  }

  // One disposition control in the wrap-up form: the campaign's choices, else the plain list.
  function renderDispositionControl() {
    var campaignChoices = current !== null && state === "wrap_up" && (current.dispositions || []).length > 0;
    $("wrapup-campaign").hidden = !campaignChoices;
    $("wrapup-disposition-field").hidden = campaignChoices;
  }

  function renderCall() {
    renderDispositionControl();
    $("outbound-call").hidden = current === null;
    if (current === null) return;
    var contact = current.contact || {};
    $("outbound-campaign").textContent = current.campaign_name || "";
    $("outbound-name").textContent = contact.name || "";
    $("outbound-number").textContent = contact.number || "";
    $("outbound-attempt").textContent = format(data.labelAttempt, { n: contact.attempt || 1 });
    fillFields($("outbound-fields"), contact.fields, contact.labels || current.labels);
    $("outbound-script").textContent = current.script || "";
    $("outbound-wrapup").hidden = state !== "wrap_up";
    if (state === "wrap_up" && !$("callback-at").value) $("callback-at").value = tomorrowAtTen();
    renderDispositions();
  }

  function tomorrowAtTen() {
    var at = new Date(Live.serverNow() + 86400000);
    var pad = function (n) {
      return String(n).padStart(2, "0");
    };
    return at.getFullYear() + "-" + pad(at.getMonth() + 1) + "-" + pad(at.getDate()) + " 10:00"; // the field's format (apps/core/widgets.py DateTimeInput)
  }

  function meaning(row) {
    if (row.kind === "retry") return format(data.labelRetry, { minutes: row.min_gap_minutes, attempts: row.max_attempts });
    return row.kind === "dnc" ? data.labelDnc : data.labelFinal;
  }

  function renderDispositions() {
    var list = $("outbound-dispositions");
    list.textContent = "";
    (current.dispositions || []).forEach(function (row) {
      var item = Live.element("li");
      var button = Live.element("button", { type: "button", className: "badge kind-" + row.kind }, row.name);
      button.dataset.code = row.code;
      button.setAttribute("aria-pressed", String(chosen === row.code));
      button.title = meaning(row);
      button.addEventListener("click", function () {
        choose(row);
      });
      item.appendChild(button);
      list.appendChild(item);
    });
    var picked = (current.dispositions || []).filter(function (row) {
      return row.code === chosen;
    })[0];
    $("outbound-disposition-meaning").textContent = picked ? meaning(picked) : "";
  }

  function choose(row) {
    chosen = row.code;
    var select = $("wrapup-disposition"); // the desk's own wrap-up form saves it
    if (select) {
      if (!select.querySelector('option[value="' + CSS.escape(row.code) + '"]')) {
        select.appendChild(Live.element("option", { value: row.code }, row.name));
      }
      select.value = row.code;
    }
    renderDispositions();
  }

  function loadContext(callUid) {
    return request("GET", "calls/" + encodeURIComponent(callUid) + "/campaign")
      .then(function (context) {
        if (current === null || current.call_uid !== callUid) current = { call_uid: callUid };
        var labels = (context.contact && context.contact.labels) || {};
        Object.assign(current, context, { labels: labels });
        renderCall();
        var name = context.contact && context.contact.name;
        if (name) document.dispatchEvent(new CustomEvent("desk:contact", { detail: { call_uid: callUid, name: name } }));
      })
      .catch(function () {
        // Not a campaign call (or no longer ours): nothing to show.
      });
  }

  // The engine's campaign.preview carries custom fields by key only: ask once per contact for the
  // list's column headers (GET agents/me/preview/labels), as the campaign-call panel gets them
  // from calls/<uid>/campaign, and draw the card again with them.
  function loadPreviewLabels(contactId) {
    if (!contactId || previewLabels[contactId]) return;
    request("GET", "agents/me/preview/labels?contact_id=" + encodeURIComponent(contactId))
      .then(function (answer) {
        previewLabels[contactId] = (answer && answer.labels) || {};
        if (preview && preview.contact && preview.contact.contact_id === contactId) renderPreview();
      })
      .catch(function () {
        // The keys stay shown: the card still works without the headers.
      });
  }

  function startCall(message) {
    chosen = null;
    current = {
      call_uid: message.call_uid,
      campaign_id: message.campaign_id,
      campaign_name: message.campaign_name,
      contact: message.contact,
      script: message.script,
      dispositions: [],
    };
    preview = null;
    notice("");
    renderPreview();
    renderCall();
    loadContext(message.call_uid); // the dispositions and what they mean in this campaign
  }

  function setState(next) {
    state = next;
    if (["ready", "not_ready", "offline"].indexOf(state) >= 0 && current !== null) {
      current = null; // the call and its wrap-up are over
      chosen = null;
    }
    if (state !== "ready") preview = null; // the engine takes a preview back when the agent leaves Ready
    renderPreview();
    renderCall();
  }

  function onMessage(message) {
    Live.learnClock(message);
    switch (message.type) {
      case "snapshot":
        current = null;
        // A first-time agent's page was drawn before their Agent row existed (the page only
        // reads; this socket made the row): the snapshot says who they are.
        if (message.agent && message.agent.agent_id) agentId = Number(message.agent.agent_id);
        setState((message.agent && message.agent.state) || "offline");
        if (message.call && message.call.direction === "outbound") loadContext(message.call.call_uid);
        if (state === "ready" && preview === null && !asked) {
          asked = true;
          request("POST", "agents/me/preview/next", {}).catch(function () {});
        }
        break;
      case "agent.state":
        setState(message.state);
        break;
      case "campaign.preview":
        preview = message;
        renderPreview();
        loadPreviewLabels(message.contact && message.contact.contact_id);
        break;
      case "call.offer":
        if (message.campaign_id) startCall(message);
        break;
      case "call.offer_withdrawn":
        if (current && current.call_uid === message.call_uid) {
          current = null;
          renderCall();
        }
        break;
      case "call.wrapup":
        if (current && current.call_uid === message.call_uid) renderCall();
        break;
      default:
        break;
    }
  }

  $("preview-dial").addEventListener("click", function () {
    if (!preview) return;
    request("POST", "agents/me/preview/dial", { contact_id: preview.contact.contact_id })
      .then(function () {
        notice(data.labelDialing);
      })
      .catch(function (error) {
        notice(errorText(error));
      });
  });

  $("preview-skip").addEventListener("click", function () {
    if (!preview) return;
    request("POST", "agents/me/preview/skip", { contact_id: preview.contact.contact_id })
      .then(function () {
        preview = null;
        renderPreview();
        notice(data.labelSkipped);
      })
      .catch(function (error) {
        notice(errorText(error));
      });
  });

  $("callback-form").addEventListener("submit", function (event) {
    event.preventDefault();
    if (!current || !current.contact) return;
    var at = new Date($("callback-at").value.trim().replace(" ", "T")); // "2026-12-08 10:00", the browser's local time
    request("POST", "scheduled-callbacks", {
      contact: current.contact.contact_id,
      due_at: isNaN(at) ? $("callback-at").value : at.toISOString(),
      agent: $("callback-owner").value === "me" ? agentId : null,
      note: $("callback-note").value,
    })
      .then(function () {
        $("callback-note").value = "";
        notice(data.labelScheduled);
      })
      .catch(function (error) {
        notice(errorText(error));
      });
  });

  Live.connect(data.ws, onMessage, function () {});
})();

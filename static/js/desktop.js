/* The agent desktop: /ws/agent/ drives the screen, buttons call the REST API.
 * What the agent sees follows their state: offline → seat login; ready/not_ready → availability
 * and click-to-dial; reserved → the offer; talking/hold → call controls; wrap_up → the form. */
(function () {
  "use strict";
  var Live = window.Live;
  var labels = Live.readJson("desk-labels");
  var config = Live.readJson("desk-config");
  var $ = function (id) {
    return document.getElementById(id);
  };

  var agent = { agent_id: config.agent_id, state: "offline", reason: null, since: null, seat: null };
  // {call_uid, caller, direction, contact_name, queue_id, queue_name, status, since, customer, ring_timeout_seconds, monitor}
  // ``caller`` is the party on the line: for an outbound call, the number dialled.
  var call = null;
  // call.consult while an attended transfer is under way: {role: "first" | "target", name, answered}.
  // Dates and times in the page's language, not the browser's.
  var locale = document.documentElement.lang || undefined;

  function showError(text) {
    $("desk-error").textContent = text;
    $("desk-error").hidden = false;
  }

  function post(path, body) {
    $("desk-error").hidden = true;
    return Live.api(config.api, "POST", path, body).catch(function (error) {
      // A refusal with its own code (dial_premium, seat_not_allowed …) says it all in its message;
      // only the generic "invalid" needs the field messages to say what was wrong.
      var fields = error.code === "invalid" ? error.fields || {} : {};
      var details = Object.keys(fields)
        .map(function (name) {
          return fields[name].join(" ");
        })
        .join(" ");
      showError((error.message || labels.error) + (details ? " " + details : ""));
      throw error;
    });
  }

  function log(text) {
    var item = Live.element("li", {}, new Date(Live.serverNow()).toLocaleTimeString(locale) + " " + text);
    var list = $("desk-log");
    list.insertBefore(item, list.firstChild);
    while (list.children.length > 30) list.removeChild(list.lastChild);
  }

  function named(template, name) {
    return String(template || "").replace("%(name)s", name || "");
  }

  function conferenceReason(code) {
    return (labels.conference_reasons && labels.conference_reasons[code]) || code || "";
  }

  // The other agent in a conference ({role, parties: [{agent_id, name, role}]}), by name.
  function conferenceOther(conference) {
    var other = (conference.parties || []).filter(function (party) {
      return party.role !== conference.role;
    })[0];
    return other ? other.name : "";
  }

  function renderConference(conference) {
    show("conference-panel", Boolean(conference));
    if (!conference) return;
    var host = conference.role === "host";
    $("call-conference").textContent = named(host ? labels.conference_host : labels.conference_member, conferenceOther(conference));
    var list = $("conference-parties");
    list.textContent = "";
    [{ name: labels.conference_caller }].concat(conference.parties || []).forEach(function (party) {
      var item = document.createElement("li");
      item.textContent = party.name;
      list.appendChild(item);
    });
    // Dropping the colleague and ending for everyone are the host's; either agent may leave.
    show("btn-conference-drop", host);
    show("btn-conference-end", host);
    // An outside number in the colleague's place: "Drop the number" hangs it up.
    var outside = (conference.parties || []).some(function (party) {
      return Boolean(party.number);
    });
    $("btn-conference-drop").textContent = outside ? labels.conference_drop_number : labels.conference_drop_colleague;
  }

  function consultReason(code) {
    return (labels.consult_reasons && labels.consult_reasons[code]) || code || "";
  }

  function reasonName(code) {
    return (labels.reasons && labels.reasons[code]) || code || "";
  }

  // Agent states carry ``since`` (ISO 8601 UTC, milliseconds: ordered as strings). The REST answer
  // to the Ready button can arrive after the websocket already said Reserved (the engine offers a
  // waiting call the moment the agent is Ready): that older state must not hide the offer.
  function isStale(update) {
    return Boolean(update && update.state && update.since && agent.since && update.since < agent.since);
  }

  function setAgent(update) {
    if (isStale(update)) return;
    Object.assign(agent, update);
    if (["ready", "not_ready", "offline"].indexOf(agent.state) >= 0) call = null;
    render();
  }

  function setCall(message, status) {
    if (!call || call.call_uid !== message.call_uid) {
      call = { call_uid: message.call_uid, customer: null };
    }
    // ``script``: an inbound queue's agent script, already filled in by the server (plain text,
    // shown with textContent); a campaign offer's script is desk_outbound.js's.
    if (message.script !== undefined && !message.campaign_id) call.inbound_script = message.script;
    // ``ivr_variables``: what the caller gave the IVR (gathered digits, looked-up values), shown in the pop.
    ["caller", "direction", "queue_id", "queue_name", "customer", "ring_timeout_seconds", "consult", "conference", "ivr_variables"].forEach(
      function (key) {
        if (message[key] !== undefined) call[key] = message[key];
      }
    );
    // A campaign offer carries the contact's card: the customer panel names them.
    if (message.contact && message.contact.name) call.contact_name = message.contact.name;
    if (status && call.status !== status) {
      call.status = status;
      call.since = message.ts || new Date(Live.serverNow()).toISOString();
    }
  }

  function isOutbound() {
    return Boolean(call && call.direction === "outbound");
  }

  // Who is on the line, in words: the CRM customer, else the campaign contact, else the number.
  function knownName() {
    if (!call) return "";
    return (call.customer && call.customer.name) || call.contact_name || "";
  }

  function partyName() {
    if (!call) return "";
    return knownName() || (isOutbound() ? call.caller || "" : labels.unknown_caller);
  }

  function show(id, visible) {
    $(id).hidden = !visible;
  }

  function render() {
    var state = agent.state;
    $("desk-state").textContent = labels.states[state] || state;
    $("desk-state").dataset.state = state;
    $("desk-reason").textContent = state === "not_ready" ? reasonName(agent.reason) : "";
    $("desk-seat").textContent = agent.seat || labels.none;
    show("panel-login", state === "offline");
    show("panel-state", ["ready", "not_ready", "wrap_up"].indexOf(state) >= 0);
    show("panel-dial", state === "ready" || state === "not_ready");
    // The engine sends agent.state "reserved" just before call.offer: until the offer itself has
    // arrived there is nothing to answer, and an Answer clicked in that gap would go nowhere.
    show("panel-offer", state === "reserved" && Boolean(call));
    show("panel-call", state === "talking" || state === "hold");
    show("panel-wrapup", state === "wrap_up");
    $("btn-ready").disabled = state === "ready";
    var consult = call && call.consult;
    var conference = call && call.conference;
    // During a consultation the caller stays held: no resume, no second transfer; the consulted
    // agent only talks and hangs up (which ends the consultation, not the call). In a conference
    // nobody holds or transfers: leave, drop or end it first (Hang up is Leave).
    $("btn-hold").hidden = state === "hold" || Boolean(consult) || Boolean(conference);
    $("btn-resume").hidden = state !== "hold" || Boolean(consult);
    show("transfer-form", !consult && !conference);
    show("consult-form", !consult && !conference);
    show("consult-actions", Boolean(consult && consult.role === "first"));
    $("btn-consult-complete").disabled = !(consult && consult.answered);
    $("btn-conference").disabled = !(consult && consult.answered);
    renderConference(conference);
    var offerTitle = isOutbound() ? labels.outbound : labels.offer;
    $("offer-title").textContent = consult && consult.role === "target" ? named(labels.consult_from, consult.name) : offerTitle;
    var consultText = "";
    if (consult && consult.role === "first") {
      consultText = named(consult.answered ? labels.consult_talking : labels.consult_ringing, consult.name);
    } else if (consult && consult.role === "target" && consult.answered) {
      consultText = named(labels.consult_target, consult.name);
    }
    $("call-consult").textContent = consultText;
    show("call-consult", Boolean(consultText));
    if (call) {
      // The number on the line; who it is shows in the customer panel (partyName).
      var caller = call.caller || labels.unknown_caller;
      $("offer-caller").textContent = caller;
      $("call-caller").textContent = caller;
      $("offer-queue").textContent = call.queue_name || "";
      $("call-queue").textContent = call.queue_name ? labels.queue + ": " + call.queue_name : "";
      var talking = isOutbound() ? labels.outbound : labels.talking_to;
      $("call-status").textContent = state === "hold" ? labels.on_hold : talking;
    }
    var monitored = call && call.monitor && labels.monitor[call.monitor];
    $("call-monitor").textContent = monitored || "";
    show("call-monitor", Boolean(monitored));
    var script = call && call.inbound_script;
    show("panel-script", Boolean(script) && ["reserved", "talking", "hold", "wrap_up"].indexOf(state) >= 0);
    $("call-script").textContent = script || "";
    renderPop();
    tick();
  }

  function renderPop() {
    var customer = call && call.customer;
    show("panel-pop", Boolean(call));
    if (!call) return;
    $("pop-name").textContent = partyName();
    $("pop-vip").hidden = !(customer && customer.is_vip);
    $("pop-number").textContent = call.caller || "";
    $("pop-notes").textContent = (customer && customer.notes) || "";
    renderPopFields(customer);
    renderIvrVariables(call.ivr_variables);
    $("pop-dial").hidden = !(customer && (agent.state === "ready" || agent.state === "not_ready"));
    // Departments' links beside the call (apps/telephony/desk_links.py) carry the call's ID.
    document.querySelectorAll("[data-call-link]").forEach(function (link) {
      var base = link.getAttribute("data-base") || link.getAttribute("href");
      var url = new URL(base, window.location.href);
      url.searchParams.set(link.getAttribute("data-call-link"), call.call_uid);
      link.setAttribute("data-base", base);
      link.setAttribute("href", url.pathname + url.search);
    });
    var body = $("pop-calls");
    body.textContent = "";
    var history = (customer && customer.last_calls) || [];
    if (!history.length) {
      var empty = Live.element("tr");
      empty.appendChild(Live.element("td", { colspan: "4" }, labels.no_history));
      body.appendChild(empty);
    }
    history.forEach(function (row) {
      var tr = Live.element("tr");
      tr.appendChild(
        Live.element("td", {}, row.arrived_at ? new Date(row.arrived_at).toLocaleString(locale) : labels.none)
      );
      tr.appendChild(Live.element("td", {}, row.queue || labels.none));
      tr.appendChild(Live.element("td", {}, row.agent || labels.none));
      tr.appendChild(Live.element("td", {}, row.disposition || labels.none));
      body.appendChild(tr);
    });
  }

  // The customer's custom fields (masked ones arrive masked: the server decides per role) and
  // open tickets (those this agent may see), from the screen pop.
  function renderPopFields(customer) {
    var fields = (customer && customer.custom_fields) || [];
    var list = $("pop-fields");
    list.textContent = "";
    fields.forEach(function (field) {
      list.appendChild(Live.element("dt", {}, field.label));
      list.appendChild(Live.element("dd", field.masked ? { class: "masked" } : {}, String(field.value)));
    });
    list.hidden = !fields.length;
    var tickets = (customer && customer.open_tickets) || [];
    var items = $("pop-tickets");
    items.textContent = "";
    tickets.forEach(function (ticket) {
      var li = Live.element("li");
      var link = Live.element("a", { href: "/tickets/" + ticket.id + "/", target: "_blank", rel: "noopener" }, ticket.number);
      li.appendChild(link);
      li.appendChild(document.createTextNode(" " + ticket.title + " · " + ticket.status_label));
      items.appendChild(li);
    });
    $("pop-tickets-box").hidden = !tickets.length;
  }

  // The call's IVR variables (name → value), as text.
  function renderIvrVariables(variables) {
    var list = $("pop-ivr");
    if (!list) return;
    list.textContent = "";
    var names = Object.keys(variables || {}).sort();
    names.forEach(function (name) {
      list.appendChild(Live.element("dt", {}, name));
      list.appendChild(Live.element("dd", {}, String(variables[name])));
    });
    $("pop-ivr-box").hidden = !names.length;
  }

  function tick() {
    $("desk-timer").textContent = agent.since ? Live.duration(Live.secondsSince(agent.since)) : "";
    if (agent.state === "reserved" && call && call.ring_timeout_seconds) {
      var left = call.ring_timeout_seconds - Live.secondsSince(agent.since);
      $("offer-countdown").textContent = labels.rings_for.replace("%(seconds)s", String(Math.max(0, left)));
    } else {
      $("offer-countdown").textContent = "";
    }
    $("call-timer").textContent = call && call.since ? Live.duration(Live.secondsSince(call.since)) : "";
    $("wrapup-timer").textContent = agent.state === "wrap_up" ? Live.duration(Live.secondsSince(agent.since)) : "";
  }

  function onMessage(message) {
    Live.learnClock(message);
    switch (message.type) {
      case "snapshot":
        // A snapshot read before the agent's latest change (it is built from the database while
        // the page goes on) keeps the newer state: setAgent drops the older one.
        if (!isStale(message.agent)) call = null;
        if (message.call) {
          setCall(message.call, message.call.status);
          call.since = message.call.since;
        }
        setAgent(message.agent);
        break;
      case "agent.state":
        setAgent({ state: message.state, reason: message.reason, since: message.since, seat: message.seat });
        log(labels.states[message.state] + (message.reason ? " · " + reasonName(message.reason) : ""));
        break;
      case "agent.seat":
        setAgent({ seat: message.seat });
        break;
      case "call.offer":
        setCall(message, "offered");
        log((isOutbound() ? labels.outbound : labels.offer) + " " + (call.contact_name || message.caller || ""));
        render();
        break;
      case "call.answered":
        setCall(message, "talking");
        render();
        break;
      case "call.held":
        setCall(message, "hold");
        render();
        break;
      case "call.resumed":
        setCall(message, "talking");
        render();
        break;
      case "call.ended":
        if (call && call.call_uid === message.call_uid) call.status = "ended";
        log(labels.call_ended);
        render();
        break;
      case "call.wrapup":
        break; // agent.state "wrap_up" has logged it already
      case "call.transfer_failed":
        // The engine could not transfer (the colleague is no longer Ready): the call stays here.
        showError(labels.transfer_failed);
        log(labels.transfer_failed);
        break;
      case "call.consult_offer":
        // A colleague consults us: the offer panel shows who, the screen pop shows the caller.
        setCall(message, "offered");
        call.consult = { role: "target", name: message.from_agent_name, answered: false };
        log(named(labels.consult_from, message.from_agent_name) + " · " + (message.caller || ""));
        render();
        break;
      case "call.consult_started":
        if (call && call.call_uid === message.call_uid) {
          call.consult = { role: "first", name: message.agent_name, answered: false };
        }
        log(labels.consult_started + " · " + (message.agent_name || ""));
        render();
        break;
      case "call.consult_answered":
        if (call && call.call_uid === message.call_uid && call.consult) {
          call.consult.answered = true;
          if (call.consult.role === "target") setCall(message, "talking");
        }
        render();
        break;
      case "call.consult_failed":
        if (call && call.call_uid === message.call_uid) call.consult = null;
        showError(labels.consult_failed + " (" + consultReason(message.reason) + ")");
        log(labels.consult_failed);
        render();
        break;
      case "call.consult_ended":
        if (call && call.call_uid === message.call_uid) call.consult = null;
        log(labels.consult_ended + " (" + consultReason(message.reason) + ")");
        render();
        break;
      case "call.consult_completed":
        if (call && call.call_uid === message.call_uid) {
          call.consult = null;
          // The consulted agent's conversation with the caller starts now.
          if (message.role === "target") call.since = new Date(Live.serverNow()).toISOString();
        }
        log(message.role === "target" ? labels.consult_yours : labels.consult_done);
        render();
        break;
      case "call.conference_started":
        if (call && call.call_uid === message.call_uid) {
          call.consult = null;
          call.conference = { role: message.role, parties: message.parties };
        }
        log(labels.conference_started);
        render();
        break;
      case "call.conference_failed":
        showError(labels.conference_failed + " (" + conferenceReason(message.reason) + ")");
        log(labels.conference_failed);
        render();
        break;
      case "call.conference_ended":
        if (call && call.call_uid === message.call_uid) {
          call.conference = null;
          // The colleague keeps the caller when the first agent leaves: their call starts now.
          if (message.role === "agent") call.since = new Date(Live.serverNow()).toISOString();
        }
        log(
          (message.role === "agent" ? labels.conference_yours : labels.conference_ended) +
            " (" +
            conferenceReason(message.reason) +
            ")"
        );
        render();
        break;
      case "call.monitor":
        if (call && call.call_uid === message.call_uid) call.monitor = message.mode;
        if (labels.monitor[message.mode]) log(labels.monitor[message.mode]);
        render();
        break;
      case "call.offer_withdrawn":
        if (call && call.call_uid === message.call_uid) call = null;
        render();
        break;
      default:
        break;
    }
  }

  function onLink(up) {
    $("desk-link").textContent = up ? labels.connected : labels.disconnected;
    $("desk-link").dataset.up = String(up);
  }

  function setState(body) {
    return post("agents/me/state", body).then(setAgent);
  }

  function callAction(action, body) {
    if (!call) return Promise.resolve();
    // What the action did arrives over the socket (and shows on the desk); a refusal shows as an error.
    return post("calls/" + encodeURIComponent(call.call_uid) + "/" + action, body);
  }

  $("login-form").addEventListener("submit", function (event) {
    event.preventDefault();
    post("agents/me/login", { seat: $("login-seat").value }).then(setAgent);
  });
  $("btn-ready").addEventListener("click", function () {
    setState({ state: "ready" });
  });
  $("btn-not-ready").addEventListener("click", function () {
    setState({ state: "not_ready", reason: $("pause-reason").value });
  });
  $("btn-logout").addEventListener("click", function () {
    // The browser softphone un-REGISTERs first: its credential is void once the log-out commits.
    var softphone = window.Softphone;
    var released = softphone ? softphone.release() : Promise.resolve();
    released
      .then(function () {
        return post("agents/me/state", { state: "offline" });
      })
      .then(
        function (update) {
          setAgent(update);
          if (softphone) softphone.settle(update);
        },
        function () {
          if (softphone) softphone.settle(null);
        }
      );
  });
  $("btn-answer").addEventListener("click", function () {
    callAction("answer");
  });
  $("btn-reject").addEventListener("click", function () {
    callAction("reject");
  });
  $("btn-hold").addEventListener("click", function () {
    callAction("hold");
  });
  $("btn-resume").addEventListener("click", function () {
    callAction("resume");
  });
  $("btn-hangup").addEventListener("click", function () {
    callAction("hangup");
  });
  $("transfer-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var queue = $("transfer-queue").value;
    var target = $("transfer-agent").value;
    // An outside number follows the dialling policy: a refusal comes back with a readable message.
    var number = $("transfer-number").value.trim();
    if ([queue, target, number].filter(Boolean).length !== 1) {
      $("desk-error").textContent = labels.choose_transfer_target;
      $("desk-error").hidden = false;
      return;
    }
    if (number) {
      callAction("transfer", { number: number }).then(
        function () {
          $("transfer-number").value = "";
        },
        function () {} // the refusal is already on the desk (showError)
      );
      return;
    }
    callAction("transfer", queue ? { queue_id: Number(queue) } : { target_agent_id: Number(target) });
  });
  $("consult-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var queue = $("consult-queue").value;
    var target = $("consult-agent").value;
    // An outside number follows the dialling policy (as a transfer's): a refusal comes back readable.
    var number = $("consult-number").value.trim();
    if ([queue, target, number].filter(Boolean).length !== 1) {
      showError(labels.choose_consult_target);
      return;
    }
    if (number) {
      callAction("consult", { number: number }).then(
        function () {
          $("consult-number").value = "";
        },
        function () {} // the refusal is already on the desk (showError)
      );
      return;
    }
    callAction("consult", queue ? { queue_id: Number(queue) } : { target_agent_id: Number(target) });
  });
  $("btn-consult-complete").addEventListener("click", function () {
    callAction("consult/complete");
  });
  $("btn-consult-cancel").addEventListener("click", function () {
    callAction("consult/cancel");
  });
  $("btn-conference").addEventListener("click", function () {
    callAction("conference");
  });
  $("btn-conference-leave").addEventListener("click", function () {
    callAction("conference/leave");
  });
  $("btn-conference-drop").addEventListener("click", function () {
    callAction("conference/drop");
  });
  $("btn-conference-end").addEventListener("click", function () {
    callAction("conference/end");
  });
  $("wrapup-form").addEventListener("submit", function (event) {
    event.preventDefault();
    if (!call) return;
    callAction("wrapup", { disposition: $("wrapup-disposition").value || null, notes: $("wrapup-notes").value }).then(
      function () {
        $("wrapup-notes").value = "";
        $("wrapup-disposition").value = "";
      }
    );
  });
  $("dial-form").addEventListener("submit", function (event) {
    event.preventDefault();
    post("agents/me/dial", { number: $("dial-number").value }).then(function (sent) {
      log(labels.dialing + " " + sent.number);
    });
  });
  $("pop-dial").addEventListener("click", function () {
    var customer = call && call.customer;
    if (!customer) return;
    post("agents/me/dial", { customer_id: customer.customer_id }).then(function (sent) {
      log(labels.dialing + " " + sent.number);
    });
  });

  // /desk/?dial=<number> (for example from a customer page) fills in the number.
  var wanted = new URLSearchParams(window.location.search).get("dial");
  if (wanted) $("dial-number").value = wanted;

  // static/js/desk_outbound.js tells who a campaign call reached when the socket's snapshot (after
  // a reload) did not carry the contact.
  document.addEventListener("desk:contact", function (event) {
    var detail = event.detail || {};
    if (call && call.call_uid === detail.call_uid && detail.name) {
      call.contact_name = detail.name;
      call.direction = "outbound";
      render();
    }
  });

  render();
  window.setInterval(tick, 1000);
  Live.connect(config.ws, onMessage, onLink);
})();

/* The supervisor wallboard: a snapshot from /ws/wallboard/, then deltas (agent.state, agent.seat,
 * queue.update, queue.kpi, call.state, seats.changed). Timers tick here, between messages.
 * config.tv: the wall-screen mode (/wallboard/tv/?token=…): the same board without buttons, calls
 * or API calls (the token opens only the page and its socket).
 * Counts by state and the queues' colours follow config.thresholds, the rules of
 * apps/telephony/selectors/wallboard.py (STATE_GROUPS, sl_level, wait_level): keep them in step. */
(function () {
  "use strict";
  var Live = window.Live;
  var labels = Live.readJson("wb-labels");
  var config = Live.readJson("wb-config");
  var $ = function (id) {
    return document.getElementById(id);
  };

  var agents = {}; // agent_id -> {agent_id, name, extension, state, reason, since}
  var adherence = {}; // agent_id -> {scheduled, actual, out_of_adherence, since} (adherence.update)
  var queues = {}; // queue_id -> {queue_id, name, waiting, longest_wait_seconds, …kpis, longest_at}
  var calls = {}; // call_uid -> {call_uid, status, caller, queue_id, agent_id, since}
  var monitoring = {}; // call_uid -> {mode, text, kind}: what the supervisor's listen request came to
  var thresholds = config.thresholds || { sl_amber_points: 10, wait_red_seconds: 120, groups: {} };
  var tv = !!config.tv;

  function toast(text, kind) {
    if (window.ui && window.ui.toast) window.ui.toast(text, kind);
  }

  // --- thresholds (selectors/wallboard.py sl_level / wait_level) -------------------------------------

  function slLevel(queue) {
    var value = queue.sl_percent;
    var target = queue.sl_target_percent;
    if (value === null || value === undefined || !target) return "none";
    if (value >= target) return "ok";
    return value >= target - thresholds.sl_amber_points ? "amber" : "red";
  }

  function waitLevel(queue, longest) {
    if (!queue.waiting) return "ok";
    var amber = queue.sl_threshold_seconds || thresholds.wait_red_seconds;
    if (longest >= Math.max(amber, thresholds.wait_red_seconds)) return "red";
    return longest >= amber ? "amber" : "ok";
  }

  function worst(a, b) {
    var order = ["none", "ok", "amber", "red"];
    return order.indexOf(a) > order.indexOf(b) ? a : b;
  }

  function fail(error) {
    $("wb-error").textContent = (error && error.message) || labels.error;
    $("wb-error").hidden = false;
  }

  function post(path, body) {
    $("wb-error").hidden = true;
    return Live.api(config.api, "POST", path, body).catch(fail);
  }

  function reasonName(code) {
    return (labels.reasons && labels.reasons[code]) || code || "";
  }

  function percent(value) {
    return value === null || value === undefined ? labels.none : Math.round(value) + "%";
  }

  function seconds(value) {
    return value === null || value === undefined ? labels.none : labels.seconds_short.replace("%(n)s", Math.round(value));
  }

  /* Longest wait grows by itself between queue.update messages. */
  function noteLongest(queue) {
    queue.longest_at = Live.serverNow() - (queue.longest_wait_seconds || 0) * 1000;
  }

  function longestNow(queue) {
    if (!queue.waiting) return 0;
    return (Live.serverNow() - queue.longest_at) / 1000;
  }

  // --- drawing -----------------------------------------------------------------------------------

  function tile(queue) {
    var node = Live.element("div", { className: "tile queue-tile", dataset: { queue: queue.queue_id } });
    node.appendChild(Live.element("strong", {}, queue.name));
    var waiting = Live.element("span", { className: "big" }, queue.waiting || 0);
    node.appendChild(waiting);
    node.appendChild(Live.element("span", {}, labels.waiting));
    var longest = Live.element("span", { className: "longest", dataset: { longest: queue.queue_id } });
    node.appendChild(longest);
    var facts = Live.element("dl", { className: "kpis" });
    [
      [labels.service_level, percent(queue.sl_percent)],
      [labels.asa, seconds(queue.asa_seconds)],
      [labels.abandon, percent(queue.abandon_rate)],
      [labels.handled, queue.handled || 0],
      [labels.offered, queue.offered || 0],
    ].forEach(function (pair) {
      facts.appendChild(Live.element("dt", {}, pair[0]));
      facts.appendChild(Live.element("dd", {}, pair[1]));
    });
    node.appendChild(facts);
    var sl = slLevel(queue);
    node.dataset.sl = sl;
    facts.querySelectorAll("dd")[0].className = "level-" + sl;
    if (sl === "amber" || sl === "red") {
      node.title = labels.sl_below.replace("%(target)s", queue.sl_target_percent).replace("%%", "%");
    }
    return node;
  }

  function drawQueues() {
    var box = $("wb-queues");
    box.textContent = "";
    var list = Object.values(queues);
    if (!list.length) box.appendChild(Live.element("p", { className: "help" }, labels.no_queues));
    list.forEach(function (queue) {
      box.appendChild(tile(queue));
    });
    tick();
  }

  // --- counts by state (selectors/wallboard.py STATE_GROUPS) ---------------------------------------

  function drawCounts() {
    var box = $("wb-counts");
    if (!box) return;
    var groupOf = {};
    Object.keys(thresholds.groups || {}).forEach(function (group) {
      thresholds.groups[group].forEach(function (state) {
        groupOf[state] = group;
      });
    });
    var counts = {};
    var reasons = {};
    Object.values(agents).forEach(function (agent) {
      var group = groupOf[agent.state];
      if (!group) return;
      counts[group] = (counts[group] || 0) + 1;
      if (agent.state === "not_ready") {
        var name = reasonName(agent.reason) || labels.no_reason;
        reasons[name] = (reasons[name] || 0) + 1;
      }
    });
    box.textContent = "";
    Object.keys(thresholds.groups || {}).forEach(function (group) {
      if (group === "offline") return; // not in the room
      var card = Live.element("div", { className: "card stat-card wb-count", dataset: { group: group } });
      card.appendChild(Live.element("span", { className: "stat-label" }, labels.groups[group] || group));
      card.appendChild(Live.element("span", { className: "stat-value", dataset: { count: group } }, counts[group] || 0));
      if (group === "not_ready") {
        var names = Object.keys(reasons).sort();
        var list = Live.element("ul", { className: "wb-reasons" });
        names.forEach(function (name) {
          list.appendChild(Live.element("li", { dataset: { reason: name } }, name + " " + reasons[name]));
        });
        card.appendChild(list);
      }
      box.appendChild(card);
    });
  }

  function forceButton(agent, state, text) {
    var button = Live.element("button", { type: "button" }, text);
    button.addEventListener("click", function () {
      var body = { state: state };
      if (state === "not_ready") body.reason = $("wb-reason").value;
      post("agents/" + agent.agent_id + "/state", body);
    });
    return button;
  }

  // Attended transfers (agent.consult): "Consulting B" on the first agent, "Consultation from A" on B.
  function consultNote(agent) {
    var other;
    if (agent.consulting) {
      other = agents[agent.consulting];
      return String(labels.consulting).replace("%(name)s", other ? other.name : "#" + agent.consulting);
    }
    if (agent.consulted_by) {
      other = agents[agent.consulted_by];
      return String(labels.consulted_by).replace("%(name)s", other ? other.name : "#" + agent.consulted_by);
    }
    return "";
  }

  function drawAgents() {
    var body = $("wb-agents").querySelector("tbody");
    body.textContent = "";
    var list = Object.values(agents).filter(function (agent) {
      return !tv || agent.state !== "offline"; // the room's screen shows who is at work
    });
    list.sort(function (a, b) {
      return String(a.name).localeCompare(String(b.name));
    });
    if (!list.length) {
      var empty = Live.element("tr");
      empty.appendChild(Live.element("td", { colspan: tv ? "5" : "6" }, labels.no_agents));
      body.appendChild(empty);
    }
    list.forEach(function (agent) {
      var tr = Live.element("tr", { dataset: { agent: agent.agent_id } });
      var adherent = adherence[agent.agent_id];
      if (adherent && adherent.out_of_adherence) {
        // Workforce's live adherence: the row is highlighted and says what the schedule wants.
        tr.classList.add("wb-out-of-adherence");
        tr.title = labels.out_of_adherence.replace(
          "%(scheduled)s",
          (labels.activities && labels.activities[adherent.scheduled]) || adherent.scheduled
        );
      }
      tr.appendChild(Live.element("td", {}, agent.name));
      tr.appendChild(Live.element("td", {}, agent.extension || labels.none));
      var state = Live.element("td");
      state.appendChild(
        Live.element("span", { className: "state-badge", dataset: { state: agent.state } }, labels.states[agent.state])
      );
      tr.appendChild(state);
      var note = agent.state === "not_ready" ? reasonName(agent.reason) : consultNote(agent);
      tr.appendChild(Live.element("td", {}, note));
      tr.appendChild(Live.element("td", { className: "timer", dataset: { since: agent.since || "" } }));
      if (tv) {
        body.appendChild(tr);
        return;
      }
      var actions = Live.element("td", { className: "actions" });
      if (["ready", "not_ready", "wrap_up"].indexOf(agent.state) >= 0) {
        if (agent.state !== "ready") actions.appendChild(forceButton(agent, "ready", labels.ready));
        actions.appendChild(forceButton(agent, "not_ready", labels.not_ready));
      }
      if (agent.state !== "offline" && agent.state !== "talking" && agent.state !== "hold") {
        actions.appendChild(forceButton(agent, "offline", labels.offline));
      }
      tr.appendChild(actions);
      body.appendChild(tr);
    });
    drawCounts();
    tick();
  }

  /* Listen, whisper, barge: "Listening…" at once, then what the API says will happen (the
   * simulated switch has no audio; a supervisor without a seat has no phone to hear it on). */
  function monitorButton(call, mode) {
    var button = Live.element("button", { type: "button" }, labels[mode]);
    button.addEventListener("click", function () {
      $("wb-error").hidden = true;
      monitoring[call.call_uid] = { mode: mode, text: labels.monitor_sending[mode], kind: "info" };
      drawCalls();
      Live.api(config.api, "POST", "calls/" + encodeURIComponent(call.call_uid) + "/monitor", { mode: mode }).then(
        function (answer) {
          var kind = answer && answer.audio === false ? "warn" : "good";
          var text = (answer && answer.notice) || labels.monitor_sending[mode];
          // Without audio, "Listening…" would mislead: the notice alone says what happens.
          var shown = kind === "warn" ? text : labels.monitor_sending[mode] + " " + text;
          monitoring[call.call_uid] = { mode: mode, text: shown, kind: kind };
          toast(text, kind);
          drawCalls();
        },
        function (error) {
          var text = labels.monitor_failed.replace("%(message)s", (error && error.message) || labels.error);
          monitoring[call.call_uid] = { mode: mode, text: text, kind: "bad" };
          toast(text, "bad");
          drawCalls();
        }
      );
    });
    return button;
  }

  function drawCalls() {
    if (!$("wb-calls")) return; // the TV mode shows no calls (no callers' numbers on the wall)
    var body = $("wb-calls").querySelector("tbody");
    body.textContent = "";
    var list = Object.values(calls);
    if (!list.length) {
      var empty = Live.element("tr");
      empty.appendChild(Live.element("td", { colspan: "6" }, labels.no_calls));
      body.appendChild(empty);
    }
    list.forEach(function (call) {
      var tr = Live.element("tr", { dataset: { call: call.call_uid } });
      var queue = queues[call.queue_id];
      var agent = agents[call.agent_id];
      tr.appendChild(Live.element("td", {}, call.caller || labels.none));
      tr.appendChild(Live.element("td", {}, queue ? queue.name : call.queue_name || labels.none));
      tr.appendChild(Live.element("td", {}, agent ? agent.name : labels.none));
      tr.appendChild(Live.element("td", {}, labels.call_statuses[call.status] || call.status));
      tr.appendChild(Live.element("td", { className: "timer", dataset: { since: call.since || "" } }));
      var actions = Live.element("td", { className: "actions" });
      if (call.status === "talking" || call.status === "hold") {
        ["listen", "whisper", "barge"].forEach(function (mode) {
          actions.appendChild(monitorButton(call, mode));
        });
      }
      var release = Live.element("button", { type: "button", className: "danger" }, labels.release);
      release.addEventListener("click", function () {
        // The shared dialog (static/js/ui.js), not window.confirm: styled, translated buttons.
        window.ui.confirm(labels.confirm_release, true, function () {
          post("calls/" + encodeURIComponent(call.call_uid) + "/release");
        });
      });
      actions.appendChild(release);
      var note = monitoring[call.call_uid];
      if (note) {
        actions.appendChild(
          Live.element("p", { className: "monitor-note level-" + note.kind, dataset: { monitor: note.mode } }, note.text)
        );
      }
      tr.appendChild(actions);
      body.appendChild(tr);
    });
    tick();
  }

  function tick() {
    var clock = document.getElementById("tv-clock");
    if (clock) clock.textContent = new Date(Live.serverNow()).toLocaleTimeString(document.documentElement.lang || undefined);
    document.querySelectorAll("[data-since]").forEach(function (cell) {
      cell.textContent = cell.dataset.since ? Live.duration(Live.secondsSince(cell.dataset.since)) : "";
    });
    document.querySelectorAll("[data-longest]").forEach(function (cell) {
      var queue = queues[cell.dataset.longest];
      if (!queue) {
        cell.textContent = "";
        return;
      }
      var longest = longestNow(queue);
      var level = waitLevel(queue, longest);
      cell.textContent = labels.longest + " " + Live.duration(longest);
      cell.className = "longest level-" + level;
      cell.title = level === "ok" ? "" : labels.wait_over.replace("%(seconds)s", queue.sl_threshold_seconds || thresholds.wait_red_seconds);
      var node = cell.closest(".queue-tile");
      if (node) {
        node.dataset.wait = level;
        node.dataset.alert = worst(node.dataset.sl || "none", level);
      }
    });
  }

  // --- messages ----------------------------------------------------------------------------------

  /* A wall screen runs all day unattended: when its link has been down for a minute (a revoked or
   * expired token is refused with 4403 at every try) or an agent it cannot name appears (it has
   * no API), it reloads: the page then shows the refusal, or a fresh board. */
  var TV_RELOAD_DOWN_MS = 60000;
  var downSince = null;
  var reloadTimer = null;
  function tvReload(delay) {
    if (reloadTimer !== null) return;
    reloadTimer = window.setTimeout(function () {
      window.location.reload();
    }, delay);
  }
  function tvWatch() {
    if (tv && downSince !== null && Date.now() - downSince > TV_RELOAD_DOWN_MS) tvReload(0);
  }

  function fetchAgent(agentId) {
    if (tv) {
      tvReload(5000); // no API on a wall screen: the name comes with the next page's snapshot
      return;
    }
    Live.api(config.api, "GET", "agents/" + agentId).then(function (row) {
      agents[agentId] = Object.assign(agents[agentId] || {}, {
        agent_id: row.id,
        name: row.name,
        extension: row.extension,
      });
      drawAgents();
    }, fail);
  }

  function onMessage(message) {
    Live.learnClock(message);
    switch (message.type) {
      case "snapshot":
        agents = {};
        queues = {};
        calls = {};
        (message.agents || []).forEach(function (agent) {
          agents[agent.agent_id] = agent;
        });
        (message.queues || []).forEach(function (queue) {
          noteLongest(queue);
          queues[queue.queue_id] = queue;
        });
        (message.calls || []).forEach(function (call) {
          calls[call.call_uid] = call;
        });
        if ($("wb-seats")) $("wb-seats").textContent = message.seats;
        drawQueues();
        drawAgents();
        drawCalls();
        break;
      case "agent.state": {
        var known = agents[message.agent_id];
        agents[message.agent_id] = Object.assign(known || { agent_id: message.agent_id, name: "#" + message.agent_id }, {
          state: message.state,
          reason: message.reason,
          since: message.since,
        });
        if (message.seat !== undefined) agents[message.agent_id].extension = message.seat;
        if (!known) fetchAgent(message.agent_id);
        drawAgents();
        break;
      }
      case "agent.consult": {
        var live = message.phase === "ringing" || message.phase === "talking";
        if (agents[message.from_agent_id]) agents[message.from_agent_id].consulting = live ? message.agent_id : null;
        if (agents[message.agent_id]) agents[message.agent_id].consulted_by = live ? message.from_agent_id : null;
        drawAgents();
        break;
      }
      case "agent.seat":
        if (agents[message.agent_id]) agents[message.agent_id].extension = message.seat;
        drawAgents();
        break;
      case "queue.update":
      case "queue.kpi": {
        var queue = queues[message.queue_id];
        if (!queue) return; // a queue created after the snapshot appears on the next reconnect
        Object.keys(message).forEach(function (key) {
          if (key !== "type" && key !== "ts") queue[key] = message[key];
        });
        if (message.type === "queue.update") noteLongest(queue);
        drawQueues();
        break;
      }
      case "call.state":
        if (message.status === "ended" || message.status === "queued" || message.status === "ivr") {
          delete calls[message.call_uid];
          delete monitoring[message.call_uid];
        } else {
          var call = calls[message.call_uid] || { call_uid: message.call_uid, since: message.ts };
          if (call.status !== message.status) call.since = message.ts;
          Object.keys(message).forEach(function (key) {
            if (key !== "type" && key !== "ts") call[key] = message[key];
          });
          calls[message.call_uid] = call;
        }
        drawCalls();
        break;
      case "adherence.update":
        adherence = {};
        (message.agents || []).forEach(function (row) {
          adherence[row.agent_id] = row;
        });
        drawAgents();
        break;
      case "seats.changed":
        if ($("wb-seats")) $("wb-seats").textContent = message.seats;
        break;
      default:
        break;
    }
  }

  function onLink(up) {
    downSince = up ? null : downSince === null ? Date.now() : downSince;
    $("wb-link").textContent = up ? labels.connected : labels.disconnected;
    $("wb-link").dataset.up = String(up);
  }

  window.setInterval(function () {
    tick();
    tvWatch();
  }, 1000);
  Live.connect(config.ws, onMessage, onLink);
})();

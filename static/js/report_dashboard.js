// The manager dashboard's "Now" tiles: agents per state and calls waiting, from the wallboard's
// socket (/ws/wallboard/, docs/realtime.md): a snapshot on every (re)connect, then agent.state
// and queue.update deltas. The groups of states are the wallboard's (selectors/wallboard.py
// STATE_GROUPS), passed in #dashboard-live-config; no figure here is computed differently.
(function () {
  "use strict";
  var Live = window.Live;
  if (!Live) return;
  var config = Live.readJson("dashboard-live-config");
  if (!config || !config.ws) return;
  var agents = {}; // agent_id -> state
  var waiting = {}; // queue_id -> calls waiting
  var groupOf = {};
  Object.keys(config.groups || {}).forEach(function (group) {
    config.groups[group].forEach(function (state) {
      groupOf[state] = group;
    });
  });

  function show(name, value) {
    var tile = document.querySelector('[data-live="' + name + '"] .stat-value');
    if (tile) tile.textContent = String(value);
  }

  function draw() {
    var counts = {};
    Object.keys(config.groups || {}).forEach(function (group) {
      counts[group] = 0;
    });
    Object.keys(agents).forEach(function (id) {
      var group = groupOf[agents[id]];
      if (group !== undefined) counts[group] += 1;
    });
    Object.keys(counts).forEach(function (group) {
      show(group, counts[group]);
    });
    var total = 0;
    Object.keys(waiting).forEach(function (id) {
      total += waiting[id] || 0;
    });
    show("waiting", total);
  }

  function onMessage(message) {
    switch (message.type) {
      case "snapshot":
        agents = {};
        waiting = {};
        (message.agents || []).forEach(function (agent) {
          agents[agent.agent_id] = agent.state;
        });
        (message.queues || []).forEach(function (queue) {
          waiting[queue.queue_id] = queue.waiting || 0;
        });
        draw();
        break;
      case "agent.state":
        agents[message.agent_id] = message.state;
        draw();
        break;
      case "queue.update":
        if (message.waiting !== undefined) waiting[message.queue_id] = message.waiting;
        draw();
        break;
      default:
        break;
    }
  }

  function onLink(up) {
    var badge = document.getElementById("live-link");
    if (!badge) return;
    var labels = config.labels || {};
    badge.textContent = up ? labels.connected : labels.disconnected;
    badge.className = "badge " + (up ? "badge-good" : "badge-warn");
  }

  Live.connect(config.ws, onMessage, onLink);
})();

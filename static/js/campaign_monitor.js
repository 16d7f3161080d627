/* The campaign monitor. The server draws the figures from the database
 * (apps/telephony/selectors/campaigns/monitor.py); this script keeps them moving from
 * /ws/wallboard/: the engine's `campaign.stats` (once per tick while it runs the campaign) and
 * `agent.state` (docs/realtime.md). The engine counts from zero in each engine process, so its
 * counters are applied as increments on top of the database figures, never shown raw. When no
 * `campaign.stats` arrives (engine stopped, campaign paused or not loaded, socket down), htmx
 * re-reads the figures from the database (#monitor-figures polls while shouldPoll() is true).
 *
 * The figures are defined once (selectors/campaigns/monitor.py FIGURES). Dials, live answers,
 * abandons and attempted contacts only grow within a day: the database counts attempts that
 * have ended, as the engine does, and a figure that must grow is never shown lower than it was
 * already shown today (a re-read racing a report would otherwise show one dial less for a tick).
 * Live answers include those in progress (`live_answers_now` of the snapshot), which end as
 * answered or abandoned: until the engine's count of live answers has caught up with them they
 * are not counted twice. */
(function () {
  "use strict";
  var Live = window.Live;
  var labels = Live.readJson("monitor-labels");
  var config = Live.readJson("monitor-config");

  var LIVE_FRESH_MS = 10000; // a campaign.stats younger than this: the engine is live
  var RESYNC_MS = 30000; // even while live, re-read the database this often (drift, status)
  var RATE_WINDOW_MS = 5 * 60 * 1000; // dials per minute: over the last 5 minutes…
  var RATE_MIN_SPAN_MS = 60000; // …once a minute of live messages is known (before: the database's)

  var snap = null; // the database figures of the last render (#monitor-snapshot)
  var snapAt = 0;
  var base = null; // the engine's counters when `snap` was read
  var last = null; // the last campaign.stats of this campaign
  var lastAt = 0;
  var samples = []; // [time, engine dials] for the rolling dials per minute
  var socketUp = false;
  var shown = {}; // the highest value shown today of each figure that only grows
  var shownDay = null; // the snapshot's start of today: a new day starts from zero
  var GROWING = [
    "dials_today",
    "live_answers_today",
    "abandoned_today",
    "live_answers_window",
    "abandoned_window",
    "contacts.attempted",
    "contacts.finished",
  ];

  function counters(message) {
    return { dials: message.dials || 0, live: message.live_answers || 0, abandoned: message.abandoned || 0 };
  }

  function fresh() {
    return socketUp && last !== null && Date.now() - lastAt < LIVE_FRESH_MS;
  }

  function readSnapshot() {
    var element = document.getElementById("monitor-snapshot");
    if (!element) return;
    snap = JSON.parse(element.textContent);
    snapAt = Date.now();
    if (snap.today !== shownDay) {
      shownDay = snap.today;
      shown = {};
    }
    GROWING.forEach(function (name) {
      var parts = name.split(".");
      var value = parts.length > 1 ? (snap[parts[0]] || {})[parts[1]] : snap[name];
      if (typeof value === "number") set(name, value); // the server drew it; keep the high mark
    });
    set("abandon_rate_today", ratio(shown.abandoned_today, shown.live_answers_today));
    set("abandon_rate_window", ratio(shown.abandoned_window, shown.live_answers_window));
    // The database already counts what the engine had done by now: increments start here.
    base = fresh() ? counters(last) : null;
  }

  function text(value) {
    return value === null || value === undefined ? labels.none : String(value);
  }

  function percent(value) {
    return value === null || value === undefined ? labels.none : (value * 100).toFixed(2) + "%";
  }

  function ratio(part, whole) {
    return whole ? Math.round((part / whole) * 10000) / 10000 : null;
  }

  function set(name, value) {
    if (GROWING.indexOf(name) >= 0 && typeof value === "number") {
      value = Math.max(value, shown[name] || 0);
      shown[name] = value;
    }
    document.querySelectorAll('[data-figure="' + name + '"]').forEach(function (node) {
      node.textContent = node.dataset.format === "percent" ? percent(value) : text(value);
    });
  }

  function flag(tile, rate) {
    var node = document.querySelector('[data-tile="' + tile + '"]');
    if (node && snap) node.classList.toggle("warn", rate !== null && rate > snap.max_abandon_rate);
  }

  function applyStats(message) {
    if (!snap) return;
    var now = counters(message);
    if (base === null || now.dials < base.dials || now.live < base.live || now.abandoned < base.abandoned) {
      base = now; // the first message since the snapshot, or a restarted engine
      samples = [];
    }
    var dials = snap.dials_today + now.dials - base.dials;
    // The live answers in progress at the snapshot end as live answers the engine counts: count
    // each once, whichever is more (those ended since, or those that were in progress).
    var inProgress = snap.live_answers_now || 0;
    var liveGrowth = Math.max(0, now.live - base.live - inProgress);
    var liveToday = snap.live_answers_today + liveGrowth;
    var abandonedToday = snap.abandoned_today + now.abandoned - base.abandoned;
    var liveWindow = snap.live_answers_window + liveGrowth;
    var abandonedWindow = snap.abandoned_window + now.abandoned - base.abandoned;
    set("dials_today", dials);
    set("live_answers_today", liveToday);
    set("abandoned_today", abandonedToday);
    set("live_answers_window", liveWindow);
    set("abandoned_window", abandonedWindow);
    // The rates from the figures shown, so that the rate and its two parts agree on the page.
    var rateToday = ratio(shown.abandoned_today, shown.live_answers_today);
    var rateWindow = ratio(shown.abandoned_window, shown.live_answers_window);
    set("abandon_rate_today", rateToday);
    set("abandon_rate_window", rateWindow);
    flag("abandon_today", rateToday);
    flag("abandon_window", rateWindow);

    var at = Date.now();
    samples.push([at, now.dials]);
    while (samples.length > 1 && at - samples[0][0] > RATE_WINDOW_MS) samples.shift();
    var span = at - samples[0][0];
    if (span >= RATE_MIN_SPAN_MS) {
      set("dials_per_minute", Math.round(((now.dials - samples[0][1]) / (span / 60000)) * 100) / 100);
    }

    if (message.lines_in_flight !== undefined) set("lines_in_flight", message.lines_in_flight);
    if (message.dial_level !== undefined) set("dial_level", message.dial_level);
    var contacts = message.contacts || {};
    ["remaining", "attempted", "finished"].forEach(function (key) {
      if (contacts[key] !== null && contacts[key] !== undefined) set("contacts." + key, contacts[key]);
    });
    var warming = document.getElementById("monitor-warming");
    if (warming) warming.hidden = !message.warming_up;
  }

  function applyAgentState(message) {
    if (!snap || !snap.agent_states) return;
    var key = String(message.agent_id);
    if (!Object.prototype.hasOwnProperty.call(snap.agent_states, key)) return; // not one of this campaign's agents
    snap.agent_states[key] = message.state;
    var byState = {};
    Object.keys(snap.agents).forEach(function (state) {
      byState[state] = 0;
    });
    Object.keys(snap.agent_states).forEach(function (id) {
      var state = snap.agent_states[id];
      byState[state] = (byState[state] || 0) + 1;
    });
    Object.keys(byState).forEach(function (state) {
      document.querySelectorAll('[data-agents="' + state + '"]').forEach(function (node) {
        node.textContent = String(byState[state]);
      });
    });
    var atWork = ["ready", "reserved", "talking", "hold", "wrap_up"].reduce(function (sum, state) {
      return sum + (byState[state] || 0);
    }, 0);
    set("agents_at_work", atWork);
  }

  var refreshing = false;
  function refresh() {
    if (refreshing || !window.htmx) return;
    refreshing = true; // one re-read at a time; the swap below clears it
    window.htmx.trigger("#monitor-figures", "monitor-refresh");
  }

  function showLink() {
    var node = document.getElementById("monitor-link");
    if (!node) return;
    var live = fresh();
    // Socket up but no fresh figures from the engine (just started, or a quiet campaign): the page
    // reads the database, which is normal, so the badge is neutral; red only when the socket is down.
    node.dataset.up = live ? "true" : socketUp ? "polling" : "false";
    node.textContent = live ? labels.connected : socketUp ? labels.polling : labels.disconnected;
  }

  function onMessage(message) {
    Live.learnClock(message);
    if (message.type === "campaign.stats" && message.campaign_id === config.campaign_id) {
      last = message;
      lastAt = Date.now();
      applyStats(message);
      showLink();
      // Started or paused elsewhere: the status and the buttons beside the title are stale.
      if (snap && ["running", "paused"].indexOf(message.status) >= 0 && message.status !== snap.status) {
        refresh();
      }
    } else if (message.type === "agent.state") {
      applyAgentState(message);
    }
  }

  function onLink(up) {
    socketUp = up;
    showLink();
  }

  window.CampaignMonitor = {
    /* htmx's polling filter: re-read the database when the engine is quiet, and now and then anyway. */
    shouldPoll: function () {
      return !fresh() || Date.now() - snapAt >= RESYNC_MS;
    },
  };

  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail && event.detail.target && event.detail.target.id === "monitor-figures") {
      refreshing = false;
      readSnapshot();
      if (fresh()) applyStats(last);
    }
  });

  readSnapshot();
  showLink();
  window.setInterval(showLink, 1000);
  Live.connect(config.ws, onMessage, onLink);
})();

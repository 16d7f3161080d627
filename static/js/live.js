/* Shared by the agent desktop and the wallboard: the REST API with the CSRF token, a websocket
 * that reconnects, and clock helpers. Plain JavaScript, no build step. Messages: docs/realtime.md */
(function () {
  "use strict";

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  /* POST/GET to /api/v1/…; resolves with the JSON body, rejects with {code, message, fields}. */
  function api(base, method, path, body) {
    var options = {
      method: method,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
    };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(base + path, options).then(function (response) {
      return response.text().then(function (text) {
        var data = null;
        try {
          data = text ? JSON.parse(text) : null;
        } catch (error) {
          data = null;
        }
        if (!response.ok) {
          throw data && data.message ? data : { code: String(response.status), message: response.statusText, fields: {} };
        }
        return data;
      });
    });
  }

  /* A websocket on this host that comes back after network trouble, a server restart or a
   * Redis fault. The server sends a fresh snapshot on every (re)connect (docs/realtime.md).
   *
   * A socket can look open while nothing flows (a dead NAT entry, a half-open TCP link): the
   * client pings every pingSeconds and, when no pong comes back within pongSeconds, treats the
   * link as dead, drops it without waiting for a closing handshake that will never finish, and
   * reconnects. Reconnects back off (0.5 s doubling to 5 s, with jitter so a thousand desks do
   * not come back in step); the back-off resets once a snapshot has arrived, so a server that
   * accepts and then closes at once (1011: Redis is down) is not hammered. A 4403 close (access
   * withdrawn) waits the longest. onLink(true) is reported with the first message (the
   * snapshot: data is flowing), onLink(false) as soon as the link is lost.
   * options: {pingSeconds: 20, pongSeconds: 10} (tests use shorter ones). */
  var RECONNECT_FIRST_MS = 500;
  var RECONNECT_MAX_MS = 5000;
  var RECONNECT_NO_ACCESS_MS = 30000;
  function connect(path, onMessage, onLink, options) {
    options = options || {};
    var pingMs = (options.pingSeconds || 20) * 1000;
    var pongMs = (options.pongSeconds || 10) * 1000;
    var delay = RECONNECT_FIRST_MS;
    var socket = null;
    var pinger = null;
    var deadline = null;
    var up = false;

    function stopTimers() {
      window.clearInterval(pinger);
      window.clearTimeout(deadline);
      pinger = deadline = null;
    }
    function lost(code) {
      stopTimers();
      socket = null;
      up = false;
      onLink(false);
      var wait = code === 4403 ? RECONNECT_NO_ACCESS_MS : delay * (0.5 + Math.random() / 2);
      window.setTimeout(open, wait);
      delay = Math.min(delay * 2, RECONNECT_MAX_MS);
    }
    function ping() {
      if (!socket || socket.readyState !== 1) return;
      socket.send(JSON.stringify({ type: "ping" }));
      if (deadline === null) deadline = window.setTimeout(dead, pongMs);
    }
    function dead() {
      // No pong in time: the link is gone even if the socket says open. Detach first, so the
      // late close event of this socket never schedules a second reconnect.
      var stale = socket;
      stale.onopen = stale.onmessage = stale.onclose = stale.onerror = null;
      try {
        stale.close(4000, "no pong");
      } catch (error) {
        /* already closing */
      }
      lost();
    }
    function open() {
      var scheme = window.location.protocol === "https:" ? "wss" : "ws";
      socket = new WebSocket(scheme + "://" + window.location.host + path);
      socket.onopen = function () {
        pinger = window.setInterval(ping, pingMs);
      };
      socket.onmessage = function (event) {
        var message;
        try {
          message = JSON.parse(event.data);
        } catch (error) {
          return;
        }
        if (message.type === "pong") {
          window.clearTimeout(deadline);
          deadline = null;
        }
        onMessage(message);
        if (!up) {
          up = true;
          delay = RECONNECT_FIRST_MS;
          onLink(true);
        }
      };
      socket.onclose = function (event) {
        lost(event && event.code);
      };
    }
    open();
  }

  /* Server time minus client time, learnt from each message's ts, so timers do not drift with
   * a wrong client clock. */
  var skew = 0;
  function learnClock(message) {
    if (message && message.ts) {
      var server = Date.parse(message.ts);
      if (!isNaN(server)) skew = server - Date.now();
    }
  }
  function serverNow() {
    return Date.now() + skew;
  }
  function secondsSince(iso) {
    var at = Date.parse(iso);
    return isNaN(at) ? 0 : Math.max(0, Math.floor((serverNow() - at) / 1000));
  }
  function duration(seconds) {
    seconds = Math.max(0, Math.floor(seconds || 0));
    var h = Math.floor(seconds / 3600);
    var m = Math.floor((seconds % 3600) / 60);
    var s = seconds % 60;
    var mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(s).padStart(2, "0");
  }
  function readJson(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : {};
  }
  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (key) {
      if (key === "dataset") {
        Object.assign(node.dataset, attributes.dataset);
      } else if (key === "className") {
        node.className = attributes.className;
      } else {
        node.setAttribute(key, attributes[key]);
      }
    });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  window.Live = {
    api: api,
    connect: connect,
    csrfToken: csrfToken,
    learnClock: learnClock,
    serverNow: serverNow,
    secondsSince: secondsSince,
    duration: duration,
    readJson: readJson,
    element: element,
  };
})();

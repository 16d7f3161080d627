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

  /* A websocket on this host that comes back after network trouble or a server restart.
   * The server sends a fresh snapshot on every (re)connect. */
  function connect(path, onMessage, onLink) {
    var delay = 500;
    var pinger = null;
    function open() {
      var scheme = window.location.protocol === "https:" ? "wss" : "ws";
      var socket = new WebSocket(scheme + "://" + window.location.host + path);
      socket.onopen = function () {
        delay = 500;
        onLink(true);
        pinger = window.setInterval(function () {
          if (socket.readyState === 1) socket.send(JSON.stringify({ type: "ping" }));
        }, 25000);
      };
      socket.onmessage = function (event) {
        var message;
        try {
          message = JSON.parse(event.data);
        } catch (error) {
          return;
        }
        onMessage(message);
      };
      socket.onclose = function () {
        window.clearInterval(pinger);
        onLink(false);
        window.setTimeout(open, delay);
        delay = Math.min(delay * 2, 15000);
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

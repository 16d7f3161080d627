/* The bell of the top bar (templates/notifications/_bell.html): the unread count, live over
 * /ws/notifications/ (docs/realtime.md), and a toast for each new notification. Clicking a toast
 * marks it read (POST /api/v1/notifications/<id>/read) and opens its link.
 * Other scripts may listen: document "notification:new" and "notification:read" events carry
 * the message as event.detail (e.g. a page that refreshes when its evaluation is decided). */
(function () {
  "use strict";

  function start() {
    var bell = document.getElementById("bell");
    if (!bell || !window.Live) return;
    var count = bell.querySelector("[data-unread]");
    var api = bell.getAttribute("data-api");

    function show(unread) {
      if (typeof unread !== "number" || !count) return;
      count.textContent = String(unread);
      count.classList.toggle("is-zero", unread === 0);
      bell.setAttribute("data-unread-count", String(unread));
    }

    function markRead(id) {
      return window.Live.api(api, "POST", "/" + id + "/read");
    }

    function toast(message) {
      if (!window.ui || !window.ui.toast) return;
      var item = window.ui.toast(message.title, "info", 10);
      item.classList.add("toast-notification");
      item.setAttribute("data-notification", String(message.id));
      if (!message.url) return;
      item.classList.add("toast-link");
      item.addEventListener("click", function (event) {
        if (event.target.closest(".toast-close")) return;
        var go = function () { window.location.href = message.url; };
        markRead(message.id).then(go, go);
      });
    }

    window.Live.connect(
      bell.getAttribute("data-socket"),
      function (message) {
        if (message.type === "snapshot") {
          show(message.unread);
        } else if (message.type === "notification.new") {
          show(message.unread);
          toast(message);
          document.dispatchEvent(new CustomEvent("notification:new", { detail: message }));
        } else if (message.type === "notification.read") {
          show(message.unread);
          document.dispatchEvent(new CustomEvent("notification:read", { detail: message }));
        }
      },
      function (up) {
        bell.classList.toggle("is-offline", !up);
      }
    );
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

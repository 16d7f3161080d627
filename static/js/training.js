// The exam-taking page's countdown (templates/training/attempt_take.html). The server's deadline is
// what counts; this only shows the seconds left, starting from the figure the server rendered.
(function () {
  "use strict";
  var node = document.getElementById("training-remaining");
  if (!node) { return; }
  var left = parseInt(node.getAttribute("data-remaining"), 10) || 0;
  var started = Date.now();
  function show() {
    var now = Math.max(0, left - Math.floor((Date.now() - started) / 1000));
    var minutes = Math.floor(now / 60), seconds = now % 60;
    node.textContent = minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
    if (now > 0) { window.setTimeout(show, 1000); }
  }
  show();
})();

// The typing test's box refuses pasting: the passage is to be typed. (The server measures speed
// and accuracy from what arrives; this only keeps an honest taker from pasting by habit.)
(function () {
  "use strict";
  var boxes = document.querySelectorAll("textarea[data-no-paste]");
  Array.prototype.forEach.call(boxes, function (box) {
    box.addEventListener("paste", function (event) { event.preventDefault(); });
    box.addEventListener("drop", function (event) { event.preventDefault(); });
  });
})();

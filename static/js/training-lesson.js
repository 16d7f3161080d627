// A golden-call lesson: the QA player (qa-workspace.js) plays the whole call; this keeps it to
// the lesson's clip — it starts at the clip's start once the recording is ready, and pauses at
// the clip's end. No inline script: the page carries the clip in data- attributes.
(function () {
  "use strict";
  function start() {
    var box = document.getElementById("training-clip");
    var player = window.qaWorkspace && window.qaWorkspace.player;
    if (!box || !player) return;
    var from = parseFloat(box.getAttribute("data-clip-start")) || 0;
    var to = parseFloat(box.getAttribute("data-clip-end"));
    var placed = false;
    var timer = setInterval(function () {
      if (!player.ready) return;
      clearInterval(timer);
      if (from > 0) player.seek(from);
      placed = true;
      box.setAttribute("data-clip-ready", "true");
    }, 200);
    player.onTime(function (now) {
      if (!placed || !isFinite(to)) return;
      if (now >= to && player.playing()) {
        player.pause();
        player.seek(from);
      }
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

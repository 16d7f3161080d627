// The QA evaluation workspace (templates/qa/workspace.html, docs/decisions/0022-qa-player.md):
// - the recording on a two-channel waveform (wavesurfer.js: caller above, agent below) driving
//   the page's own <audio> element; without wavesurfer.js (node_modules absent) the same element
//   plays with the browser's controls. The signed link is fetched once (one logged play), and the
//   blob is what both the waveform and the audio element use;
// - comments pinned to the player's current time (hidden inputs of the form, saved with it);
//   a click on a comment's time plays from there;
// - the live score: every change posts the form to the preview endpoint, which scores it with
//   the service (apps/qa/scoring.py) — the rules are never copied here.
(function () {
  "use strict";

  function clock(seconds) {
    var total = Math.max(0, Math.floor(seconds || 0));
    var hours = Math.floor(total / 3600), minutes = Math.floor((total % 3600) / 60), rest = total % 60;
    var mm = hours ? String(minutes).padStart(2, "0") : String(minutes);
    return (hours ? hours + ":" : "") + mm + ":" + String(rest).padStart(2, "0");
  }

  // --- the player ---------------------------------------------------------------------------
  function initPlayer() {
    var box = document.getElementById("qa-player");
    if (!box) return null;
    var audio = document.getElementById("qa-audio");
    var wave = document.getElementById("qa-wave-canvas");
    var playButton = document.getElementById("qa-play");
    var speed = document.getElementById("qa-speed");
    var current = document.getElementById("qa-current");
    var durationText = document.getElementById("qa-duration");
    var status = document.getElementById("qa-player-status");
    var controls = [playButton, speed, document.getElementById("qa-back"), document.getElementById("qa-forward")];
    var listeners = [];
    var api = { ready: false, wavesurfer: null, channels: 0 };

    function say(text) { status.textContent = text || ""; }
    function duration() {
      var value = audio.duration;
      return value && isFinite(value) ? value : parseFloat(box.getAttribute("data-duration")) || 0;
    }
    function time() { return audio.currentTime || 0; }
    function clamp(seconds) { return Math.min(Math.max(0, seconds), duration()); }
    function seek(seconds) {
      var target = clamp(seconds);
      if (api.wavesurfer) api.wavesurfer.setTime(target);
      else audio.currentTime = target;
      showTime();
    }
    function toggle() {
      if (!api.ready) return;
      if (audio.paused) {
        var started = audio.play();
        if (started && started.catch) started.catch(function () {});
      } else {
        audio.pause();
      }
    }
    function showTime() {
      var now = time();
      current.textContent = clock(now);
      wave.setAttribute("aria-valuenow", String(Math.round(now)));
      wave.setAttribute("aria-valuetext", clock(now));
      listeners.forEach(function (listener) { listener(now); });
    }
    function showPlaying() {
      var playing = !audio.paused;
      playButton.textContent = box.getAttribute(playing ? "data-label-pause" : "data-label-play");
      playButton.setAttribute("aria-pressed", playing ? "true" : "false");
    }
    function ready() {
      api.ready = true;
      controls.forEach(function (control) { if (control) control.disabled = false; });
      durationText.textContent = clock(duration());
      wave.setAttribute("aria-valuemax", String(Math.round(duration())));
      audio.playbackRate = parseFloat(speed.value) || 1;
      say(box.getAttribute("data-text-ready"));
      box.setAttribute("data-ready", "true");
      showTime();
    }
    function labelChannels(count) {
      api.channels = count;
      var labels = box.querySelector(".qa-wave-labels");
      if (count < 2) {
        labels.classList.add("qa-mono");
        labels.querySelector('[data-channel="0"]').textContent = box.getAttribute("data-label-mono");
        labels.querySelector('[data-channel="1"]').hidden = true;
      }
    }
    function withoutWaveform(blob) {
      box.classList.add("qa-no-wave");
      audio.controls = true;
      audio.addEventListener("loadedmetadata", ready, { once: true });
      audio.src = URL.createObjectURL(blob);
      say(box.getAttribute("data-text-fallback"));
    }
    function withWaveform(blob) {
      var surfer = window.WaveSurfer.create({
        container: wave,
        media: audio,
        height: 64,
        splitChannels: [
          { waveColor: "#9db8f2", progressColor: "#3b6fd8" },
          { waveColor: "#9fd8bd", progressColor: "#2b8a5e" }
        ],
        normalize: true,
        cursorColor: "#1d2733",
        cursorWidth: 2,
        dragToSeek: true,
        cspNonce: box.getAttribute("data-csp-nonce") || undefined
      });
      api.wavesurfer = surfer;
      surfer.on("ready", function () {
        var decoded = surfer.getDecodedData();
        labelChannels(decoded ? decoded.numberOfChannels : 1);
        ready();
      });
      surfer.on("error", function () { say(box.getAttribute("data-text-failed")); });
      surfer.on("interaction", function () { wave.focus({ preventScroll: true }); });
      return surfer.loadBlob(blob).catch(function () {});
    }

    audio.addEventListener("timeupdate", showTime);
    audio.addEventListener("seeked", showTime);
    audio.addEventListener("play", showPlaying);
    audio.addEventListener("pause", showPlaying);
    audio.addEventListener("ended", showPlaying);
    playButton.addEventListener("click", toggle);
    controls.slice(2).forEach(function (button) {
      button.addEventListener("click", function () { seek(time() + parseFloat(button.getAttribute("data-skip"))); });
    });
    speed.addEventListener("change", function () { audio.playbackRate = parseFloat(speed.value) || 1; });
    wave.addEventListener("keydown", function (event) {
      if (!api.ready) return;
      var handled = true;
      if (event.key === " " || event.key === "Enter" || event.key === "k") toggle();
      else if (event.key === "ArrowLeft") seek(time() - 5);
      else if (event.key === "ArrowRight") seek(time() + 5);
      else if (event.key === "Home") seek(0);
      else if (event.key === "End") seek(duration());
      else handled = false;
      if (handled) event.preventDefault();
    });

    say(box.getAttribute("data-text-loading"));
    fetch(box.getAttribute("data-src"), { credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 403) throw new Error(box.getAttribute("data-text-expired"));
        if (!response.ok) throw new Error(box.getAttribute("data-text-failed"));
        return response.blob();
      })
      .then(function (blob) {
        if (typeof window.WaveSurfer === "undefined") return withoutWaveform(blob);
        return withWaveform(blob);
      })
      .catch(function (error) {
        box.setAttribute("data-failed", "true");
        say(error && error.message ? error.message : box.getAttribute("data-text-failed"));
      });

    api.time = time;
    api.seek = seek;
    api.play = function () { if (api.ready && audio.paused) toggle(); };
    api.pause = function () { audio.pause(); };
    api.playing = function () { return !audio.paused; };
    api.onTime = function (listener) { listeners.push(listener); };
    api.audio = audio;
    return api;
  }

  // --- comments -------------------------------------------------------------------------------
  function initComments(player) {
    var list = document.getElementById("qa-comment-list");
    var text = document.getElementById("qa-comment-text");
    var add = document.getElementById("qa-comment-add");
    var empty = document.getElementById("qa-comment-empty");
    var form = document.getElementById("qa-evaluation-form");
    if (!list) return;

    function refreshEmpty() { if (empty) empty.hidden = list.children.length > 0; }
    function hidden(name, value) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      input.value = value;
      input.setAttribute("form", "qa-evaluation-form");
      return input;
    }
    function seekButton(at) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "link qa-seek";
      button.setAttribute("data-seek", at.toFixed(2));
      button.setAttribute("aria-label", list.getAttribute("data-text-seek").replace("%s", clock(at)));
      button.textContent = clock(at);
      return button;
    }
    function addComment() {
      var words = text.value.trim();
      if (!words) { text.focus(); return; }
      var at = player && player.ready ? Math.round(player.time() * 100) / 100 : null;
      var item = document.createElement("li");
      item.className = "qa-comment qa-just-added";
      if (at === null) {
        var general = document.createElement("span");
        general.className = "qa-comment-general";
        general.textContent = list.getAttribute("data-text-general");
        item.appendChild(general);
      } else {
        item.appendChild(seekButton(at));
      }
      var body = document.createElement("span");
      body.className = "qa-comment-text";
      body.textContent = words;
      item.appendChild(body);
      item.appendChild(hidden("comment_at", at === null ? "" : at.toFixed(2)));
      item.appendChild(hidden("comment_text", words));
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "link qa-comment-remove";
      remove.textContent = list.getAttribute("data-text-remove");
      item.appendChild(remove);
      // In recording order, comments without a time last (as the server lists them).
      var before = null;
      if (at !== null) {
        Array.prototype.some.call(list.children, function (other) {
          var seek = other.querySelector(".qa-seek");
          if (!seek || parseFloat(seek.getAttribute("data-seek")) > at) { before = other; return true; }
          return false;
        });
      }
      list.insertBefore(item, before);
      text.value = "";
      refreshEmpty();
      text.focus();
    }

    if (add) {
      add.addEventListener("click", addComment);
      text.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); addComment(); }
      });
      if (player) {
        player.onTime(function (now) { add.textContent = add.getAttribute("data-label-at").replace("%s", clock(now)); });
      }
      // A comment typed but not added yet is not lost by saving.
      if (form) form.addEventListener("submit", function () { if (text.value.trim()) addComment(); });
    }
    list.addEventListener("click", function (event) {
      var seek = event.target.closest(".qa-seek");
      if (seek && player) {
        player.seek(parseFloat(seek.getAttribute("data-seek")));
        player.play();
        return;
      }
      var remove = event.target.closest(".qa-comment-remove");
      if (remove) {
        remove.closest("li").remove();
        refreshEmpty();
      }
    });
  }

  // --- N/A boxes of number questions ------------------------------------------------------------
  function initNaBoxes(form) {
    function sync(box) {
      var question = box.closest(".qa-question");
      var number = question && question.querySelector('input[type="number"]');
      if (number) number.disabled = box.checked || box.disabled;
    }
    form.querySelectorAll('.qa-na input[type="checkbox"]').forEach(function (box) {
      sync(box);
      box.addEventListener("change", function () { sync(box); });
    });
  }

  // --- the live score ---------------------------------------------------------------------------
  function initLiveScore(form) {
    var url = form.getAttribute("data-preview-url");
    var panel = document.getElementById("qa-score");
    var overall = document.getElementById("qa-score-overall");
    var critical = document.getElementById("qa-critical");
    var status = document.getElementById("qa-score-status");
    var timer = null, sequence = 0;

    function shown(value) { return value === null || value === undefined ? "—" : value; }
    function markErrors(fields) {
      form.querySelectorAll(".qa-question.qa-live-error").forEach(function (question) {
        question.classList.remove("qa-live-error", "has-error");
      });
      Object.keys(fields || {}).forEach(function (name) {
        var input = form.querySelector('[name="' + name + '"]');
        var question = input && input.closest(".qa-question");
        if (question) question.classList.add("qa-live-error", "has-error");
      });
    }
    function show(result) {
      overall.textContent = shown(result.score);
      (result.sections || []).forEach(function (section) {
        document.querySelectorAll('[data-section-score="' + section.id + '"]').forEach(function (output) {
          output.textContent = shown(section.score);
        });
      });
      critical.hidden = !result.critical_failed;
      panel.classList.toggle("qa-critical-failed", !!result.critical_failed);
      var failed = result.failed_questions || [];
      form.querySelectorAll(".qa-question").forEach(function (question) {
        question.classList.toggle("qa-failed", failed.indexOf(parseInt(question.getAttribute("data-question"), 10)) >= 0);
      });
      status.textContent = "";
      markErrors({});
    }
    function update() {
      var mine = ++sequence;
      panel.classList.add("qa-updating");
      var body = new FormData(form);
      fetch(url, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": body.get("csrfmiddlewaretoken") || "", Accept: "application/json" }
      })
        .then(function (response) {
          return response.json().then(function (data) { return { ok: response.ok, data: data }; });
        })
        .then(function (answer) {
          if (mine !== sequence) return; // a later change is already on its way
          if (answer.ok) {
            show(answer.data);
          } else {
            markErrors(answer.data.fields);
            status.textContent = status.getAttribute("data-text-invalid");
          }
          panel.setAttribute("data-updated", String(mine));
        })
        .catch(function () {
          if (mine === sequence) status.textContent = status.getAttribute("data-text-failed");
        })
        .then(function () { if (mine === sequence) panel.classList.remove("qa-updating"); });
    }
    function schedule(event) {
      var target = event.target;
      if (!target || !target.name || target.name === "summary" || target.name === "reason") return;
      if (target.name.indexOf("q_") !== 0) return;
      clearTimeout(timer);
      timer = setTimeout(update, event.type === "input" ? 350 : 50);
    }
    form.addEventListener("change", schedule);
    form.addEventListener("input", schedule);
  }

  function start() {
    var player = initPlayer();
    initComments(player);
    var form = document.getElementById("qa-evaluation-form");
    if (form) {
      initNaBoxes(form);
      if (form.querySelector('button[type="submit"]')) initLiveScore(form);
    }
    window.qaWorkspace = { player: player, clock: clock };
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

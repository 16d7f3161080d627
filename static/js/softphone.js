/* The agent desk's browser softphone (templates/telephony/agents/_softphone.html).
 * It keeps to itself, like desk_outbound.js: its own /ws/agent/ socket tells it when the agent
 * logs into a seat, changes seats or logs out. While logged in it fetches the seat's SIP
 * credentials (GET /api/v1/agents/me/sip: the digest HA1, never a password) and registers to
 * Kamailio's WebSocket listener with SIP.js (node_modules, served as static/sipjs/, loaded as an
 * ES module on demand, so the desk works without it). Incoming calls ring here (Answer/Decline),
 * then Hang up and Mute; audio plays through the hidden <audio>. The media is DTLS-SRTP to
 * rtpengine, which bridges it to the plain RTP of desk phones and carriers (docs/sip.md).
 * Remote seats: the same answer carries the TURN server and a short-lived credential for it
 * (ice_servers, ice_expires_at), fetched again every half lifetime while registered; media goes
 * through the relay only when the platform says so (ice_transport_policy) or the agent ticks
 * "relay only" on this browser (kept in localStorage). */
(function () {
  "use strict";
  var Live = window.Live;
  var root = document.getElementById("softphone");
  if (!Live || !root) return;
  var data = root.dataset;
  var $ = function (id) {
    return document.getElementById(id);
  };

  var SIP = null; // the SIP.js module once loaded
  var userAgent = null;
  var registerer = null;
  var registeredAs = null; // the extension registered now (or being registered)
  var session = null; // the one call: an Invitation
  var answered = false;
  var muted = false;
  var ringer = null;
  var wanted = null; // the seat the agent is logged into, or null
  var holding = false; // the desk is logging the agent out: register nothing until that is settled
  // The RTCConfiguration SIP.js copies into every new call's RTCPeerConnection: changed in place
  // (fresh TURN credentials, the relay option), it applies from the next call on.
  var iceConfiguration = { iceServers: [], iceTransportPolicy: "all" };
  var platformRelay = false;
  var iceTimer = null;
  var RELAY_KEY = "softphone.relayOnly";

  function format(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (match, key) {
      return values[key] === undefined ? match : String(values[key]);
    });
  }

  function setStatus(status, message) {
    var badge = $("softphone-status");
    badge.dataset.status = status;
    // The colours of app.css's badges: green registered, amber on the way, red trouble.
    badge.className = "badge " + ({ registered: "active", registering: "warn", error: "suspended" }[status] || "");
    badge.textContent = data["label" + status.charAt(0).toUpperCase() + status.slice(1)] || status;
    if (message !== undefined) $("softphone-message").textContent = message;
  }

  function renderCall() {
    var ringing = session !== null && !answered;
    $("softphone-call").hidden = session === null;
    $("softphone-answer").hidden = !ringing;
    $("softphone-decline").hidden = !ringing;
    $("softphone-hangup").hidden = !answered;
    $("softphone-mute").hidden = !answered;
    $("softphone-mute").textContent = muted ? data.labelUnmute : data.labelMute;
    $("softphone-mute").setAttribute("aria-pressed", muted ? "true" : "false");
    if (session !== null) {
      var caller = session.remoteIdentity.displayName || session.remoteIdentity.uri.user || "";
      $("softphone-peer").textContent = format(answered ? data.labelTalking : data.labelRinging, { caller: caller });
    }
  }

  // --- the ring: a soft two-tone burst every 3 s from Web Audio (no file to serve) ---
  function ringStart() {
    ringStop();
    var AudioContext = window.AudioContext || window.webkitAudioContext;
    if (!AudioContext) return;
    var context = new AudioContext();
    function burst() {
      [440, 480].forEach(function (frequency) {
        var oscillator = context.createOscillator();
        var gain = context.createGain();
        gain.gain.value = 0.05;
        oscillator.frequency.value = frequency;
        oscillator.connect(gain).connect(context.destination);
        oscillator.start();
        oscillator.stop(context.currentTime + 1.2);
      });
    }
    burst();
    ringer = { context: context, timer: window.setInterval(burst, 3000) };
  }

  function ringStop() {
    if (!ringer) return;
    window.clearInterval(ringer.timer);
    ringer.context.close().catch(function () {});
    ringer = null;
  }

  // --- media ---
  function peerConnection() {
    var handler = session && session.sessionDescriptionHandler;
    return handler ? handler.peerConnection : null;
  }

  function attachAudio() {
    var connection = peerConnection();
    if (!connection) return;
    var stream = new MediaStream();
    connection.getReceivers().forEach(function (receiver) {
      if (receiver.track) stream.addTrack(receiver.track);
    });
    var audio = $("softphone-audio");
    audio.srcObject = stream;
    audio.play().catch(function () {});
  }

  function setMuted(value) {
    muted = value;
    var connection = peerConnection();
    if (connection) {
      connection.getSenders().forEach(function (sender) {
        if (sender.track) sender.track.enabled = !muted;
      });
    }
    renderCall();
  }

  function endCall() {
    ringStop();
    if (session !== null) $("softphone-message").textContent = data.labelEnded;
    session = null;
    answered = false;
    muted = false;
    $("softphone-audio").srcObject = null;
    renderCall();
  }

  function onInvite(invitation) {
    if (session !== null) {
      invitation.reject({ statusCode: 486 }).catch(function () {});
      return;
    }
    session = invitation;
    answered = false;
    $("softphone-message").textContent = "";
    invitation.stateChange.addListener(function (state) {
      if (invitation !== session) return;
      if (state === SIP.SessionState.Established) {
        answered = true;
        ringStop();
        attachAudio();
        renderCall();
      } else if (state === SIP.SessionState.Terminated) {
        endCall();
      }
    });
    // The engine's own outbound calls (click-to-dial, callbacks, a dialer's answered contact) carry
    // X-CC-Direction: outbound: the agent asked for them or the contact is already talking, so
    // the softphone picks up by itself instead of ringing.
    if (invitation.request.getHeader("X-CC-Direction") === "outbound") {
      renderCall();
      answer();
      return;
    }
    // SIP.js has already sent 180 Ringing: the caller hears ringback.
    ringStart();
    renderCall();
  }

  // --- ICE: TURN servers and the relay-only option ---
  function relayWanted() {
    if (platformRelay) return true;
    try {
      return window.localStorage.getItem(RELAY_KEY) === "1";
    } catch (error) {
      return false;
    }
  }

  function applyIce(credentials) {
    var servers = credentials.ice_servers || [];
    platformRelay = credentials.ice_transport_policy === "relay";
    iceConfiguration.iceServers = servers;
    // Relay only without a relay would leave no path at all: "all" then.
    iceConfiguration.iceTransportPolicy = servers.length && relayWanted() ? "relay" : "all";
    var option = $("softphone-relay");
    $("softphone-relay-option").hidden = !servers.length;
    option.checked = relayWanted();
    option.disabled = platformRelay;
  }

  function scheduleIceRefresh(extension, expiresAt) {
    window.clearTimeout(iceTimer);
    iceTimer = null;
    if (!expiresAt) return;
    // Half the credential's remaining life, at least 30 s: a fresh one is always at hand for the next call.
    var delay = Math.max(30000, (Date.parse(expiresAt) - Date.now()) / 2);
    iceTimer = window.setTimeout(function () {
      if (registeredAs !== extension) return;
      Live.api(data.api, "GET", "agents/me/sip").then(
        function (credentials) {
          if (registeredAs !== extension) return;
          applyIce(credentials);
          scheduleIceRefresh(extension, credentials.ice_expires_at);
        },
        function () {
          // Logged out meanwhile (404) or the server is away: try again later while still registered.
          scheduleIceRefresh(extension, new Date(Date.now() + 60000).toISOString());
        }
      );
    }, delay);
  }

  // --- registration ---
  function loadLibrary() {
    if (SIP) return Promise.resolve(SIP);
    return import(data.library).then(function (module) {
      SIP = module;
      return module;
    });
  }

  function stop() {
    registeredAs = null;
    window.clearTimeout(iceTimer);
    iceTimer = null;
    var agent = userAgent;
    var current = registerer;
    userAgent = null;
    registerer = null;
    if (session !== null) hangUp();
    if (!agent) return Promise.resolve();
    var unregistered = current ? current.unregister().catch(function () {}) : Promise.resolve();
    return unregistered.then(function () {
      return agent.stop().catch(function () {});
    });
  }

  function start(extension) {
    registeredAs = extension;
    var refused = false;
    setStatus("registering", "");
    loadLibrary()
      .then(
        function () {
          return Live.api(data.api, "GET", "agents/me/sip");
        },
        function () {
          throw { unavailable: true };
        }
      )
      .then(function (credentials) {
        if (registeredAs !== extension) return null;
        applyIce(credentials);
        scheduleIceRefresh(extension, credentials.ice_expires_at);
        userAgent = new SIP.UserAgent({
          uri: SIP.UserAgent.makeURI(credentials.uri),
          authorizationUsername: credentials.authorization_user,
          authorizationHa1: credentials.ha1,
          transportOptions: { server: credentials.ws_url, traceSip: false },
          sessionDescriptionHandlerFactoryOptions: { peerConnectionConfiguration: iceConfiguration },
          userAgentString: "contact-center-desk",
          logLevel: "warn",
          delegate: {
            onInvite: onInvite,
            onDisconnect: function (error) {
              // The SIP server went away (restart, network): say so and register again shortly.
              if (!error || registeredAs !== extension) return;
              setStatus("error", data.labelNoConnection);
              window.setTimeout(function () {
                if (registeredAs === extension) stop().then(function () { start(extension); });
              }, 5000);
            },
          },
        });
        registerer = new SIP.Registerer(userAgent, { expires: 300 });
        registerer.stateChange.addListener(function (state) {
          if (state === SIP.RegistererState.Registered) setStatus("registered", "");
          else if (state === SIP.RegistererState.Unregistered && registeredAs === extension && !refused)
            setStatus("unregistered");
        });
        return userAgent.start().then(function () {
          return registerer.register({
            requestDelegate: {
              onReject: function () {
                refused = true;
                setStatus("error", data.labelRefused);
              },
            },
          });
        });
      })
      .catch(function (error) {
        if (registeredAs !== extension) return;
        if (error && error.unavailable) setStatus("error", data.labelUnavailable);
        else if (error && error.code) setStatus("unregistered", error.message || "");
        else setStatus("error", data.labelNoConnection);
      });
  }

  function follow(state, seat) {
    if (holding) return;
    var next = state && state !== "offline" && seat ? String(seat) : null;
    if (next === wanted) return;
    wanted = next;
    stop().then(function () {
      if (wanted !== null && wanted === next) start(next);
      else setStatus("unregistered", "");
    });
  }

  function hangUp() {
    var current = session;
    if (!current) return;
    if (current.state === SIP.SessionState.Established) current.bye().catch(function () {});
    else if (!answered) current.reject().catch(function () {});
    endCall();
  }

  function answer() {
    if (!session || answered) return;
    ringStop();
    session
      .accept({ sessionDescriptionHandlerOptions: { constraints: { audio: true, video: false } } })
      .catch(function () {
        endCall();
      });
  }

  $("softphone-answer").addEventListener("click", answer);
  $("softphone-decline").addEventListener("click", function () {
    if (!session || answered) return;
    session.reject({ statusCode: 486 }).catch(function () {});
    endCall();
  });
  $("softphone-hangup").addEventListener("click", hangUp);
  $("softphone-mute").addEventListener("click", function () {
    setMuted(!muted);
  });
  $("softphone-relay").addEventListener("change", function (event) {
    try {
      window.localStorage.setItem(RELAY_KEY, event.target.checked ? "1" : "0");
    } catch (error) {
      /* private mode: the option lasts for this page only */
    }
    if (!platformRelay) iceConfiguration.iceTransportPolicy = event.target.checked && iceConfiguration.iceServers.length ? "relay" : "all";
  });
  window.addEventListener("pagehide", function () {
    stop();
  });

  var seat = null;
  var state = "offline";

  // The desk's Log out button (desktop.js) asks for this first: a browser seat's credential is
  // void as soon as the log-out commits (apps/telephony/services/seat_credentials.py), so the
  // un-REGISTER must go out while it still works, or the contact would linger until it expires.
  window.Softphone = {
    release: function () {
      holding = true;
      wanted = null;
      var bounded = new Promise(function (resolve) {
        window.setTimeout(resolve, 3000);
      });
      return Promise.race([stop(), bounded]).then(function () {
        setStatus("unregistered", "");
      });
    },
    // The log-out's answer (the agent's new state), or null when it was refused: follow that.
    settle: function (update) {
      holding = false;
      if (update && update.state) {
        state = update.state;
        if (update.seat !== undefined) seat = update.seat;
      }
      follow(state, seat);
    },
  };

  Live.connect(
    data.ws,
    function (message) {
      switch (message.type) {
        case "snapshot":
          state = (message.agent && message.agent.state) || "offline";
          seat = (message.agent && message.agent.seat) || null;
          break;
        case "agent.state":
          state = message.state;
          if (message.seat !== undefined) seat = message.seat;
          break;
        case "agent.seat":
          seat = message.seat;
          break;
        default:
          return;
      }
      follow(state, seat);
    },
    function () {}
  );
  renderCall();
})();

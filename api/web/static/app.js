// danbao: live progress of a run. The page names its status URL in
// data-status; the script polls it and reloads the page when the run ends,
// so the server renders the result. Without JavaScript the page refreshes
// itself (noscript meta refresh).
(function () {
  "use strict";
  var box = document.getElementById("progress");
  if (!box) return;
  var url = box.getAttribute("data-status");
  var bar = document.getElementById("bar");
  var text = document.getElementById("progress-text");
  var state = document.getElementById("state");
  var done = { succeeded: 1, failed: 1, cancelled: 1, interrupted: 1 };
  var failures = 0;

  function fmtSeconds(s) {
    if (s === null || s === undefined) return "";
    if (s < 90) return Math.round(s) + " s";
    return Math.round(s / 60) + " min";
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); })
      .then(function (res) {
        var s = res.body;
        if (!res.ok) throw new Error(s.message || "status unavailable");
        failures = 0;
        if (done[s.state]) { window.location.reload(); return; }
        var p = s.progress || {};
        var pct = Math.floor((p.fraction || 0) * 100);
        bar.value = pct;
        bar.textContent = pct + " %";
        state.textContent = s.state;
        state.className = "state " + s.state;
        if (s.state === "queued") {
          text.textContent = "Waiting in the queue" + (s.queue_position ? ", position " + s.queue_position : "") + ". 排队中";
        } else {
          var eta = fmtSeconds(p.eta_seconds);
          text.textContent = pct + " % of " + (p.paths_total || 0).toLocaleString("en") + " paths" +
            (eta ? ", about " + eta + " left" : "") + ". 模拟中";
        }
        setTimeout(poll, 700);
      })
      .catch(function (e) {
        failures++;
        text.textContent = "Cannot read the progress (" + e.message + "); trying again.";
        setTimeout(poll, Math.min(10000, 1000 * failures));
      });
  }
  setTimeout(poll, 400);
})();

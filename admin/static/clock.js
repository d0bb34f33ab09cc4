/* Times that tick in every panel page, from a file (the Content-Security-Policy allows no inline script).
 *  - time[data-ago][datetime]: an age ("just now", "3 min ago", "2 h ago", "in 5 min"), as
 *    admin.formatting.ago writes it on the server;
 *  - [data-due="ISO time"]: an SLA countdown ("in 1 h 5 min", "12 min overdue"), as
 *    chatops.support.desk.countdown writes it.
 * Both count on the server's clock: <meta name="chatops-server-now" content="ISO time"> is the panel's
 * clock when the page was made, so a browser whose clock is off (or a test's frozen clock) still counts
 * right. The exact UTC time stays in the title attribute. Each text is redrawn when it next changes (its
 * next whole minute), at the latest every 30 s; window.chatopsClock.refresh() redraws now (desk.js calls it
 * after adding events). */
(function () {
  "use strict";

  var MINUTE = 60000;
  var skew = 0;  // server time - browser time, at page load
  var timer = null;

  function countdown(due, now) {
    var seconds = Math.round((due - now) / 1000);
    var minutes = Math.floor(Math.abs(seconds) / 60);
    var days = Math.floor(minutes / 1440), hours = Math.floor((minutes % 1440) / 60), mins = minutes % 60;
    var parts = [];
    if (days) { parts.push(days + " d"); }
    if (hours) { parts.push(hours + " h"); }
    if (!days && (mins || !hours)) { parts.push(mins + " min"); }
    var text = parts.join(" ") || "0 min";
    return seconds < 0 ? text + " overdue" : "in " + text;
  }

  function ago(at, now) {
    var seconds = Math.trunc((now - at) / 1000);
    var future = seconds < 0;
    seconds = Math.abs(seconds);
    if (seconds < 60) { return future ? "in under a minute" : "just now"; }
    var units = [[86400, "d"], [3600, "h"], [60, "min"]];
    for (var i = 0; i < units.length; i++) {
      if (seconds >= units[i][0]) {
        var text = Math.floor(seconds / units[i][0]) + " " + units[i][1];
        return future ? "in " + text : text + " ago";
      }
    }
    return "";
  }

  // Milliseconds until the text for a time `at` next changes: at the next whole minute between `at` and now
  // (a little after it, so the seconds have rounded over).
  function untilChange(at, now) {
    var rest = ((at - now) % MINUTE + MINUTE) % MINUTE;
    return rest + 600;
  }

  function draw() {
    var now = Date.now() + skew;
    var next = 30000;
    function update(el, text, at) {
      if (el.textContent !== text) { el.textContent = text; }
      next = Math.min(next, untilChange(at, now));
    }
    document.querySelectorAll("[data-due]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-due"));
      if (!isNaN(due)) { update(el, countdown(due, now), due); }
    });
    document.querySelectorAll("time[data-ago][datetime]").forEach(function (el) {
      var at = Date.parse(el.getAttribute("datetime"));
      if (!isNaN(at)) { update(el, ago(at, now), at); }
    });
    return Math.max(250, next);
  }

  function refresh() {
    if (timer !== null) { window.clearTimeout(timer); }
    timer = window.setTimeout(refresh, draw());
  }

  window.chatopsClock = { refresh: refresh, countdown: countdown, ago: ago };

  document.addEventListener("DOMContentLoaded", function () {
    var meta = document.querySelector("meta[name='chatops-server-now']");
    var serverNow = meta ? Date.parse(meta.getAttribute("content")) : NaN;
    if (!isNaN(serverNow)) { skew = serverNow - Date.now(); }
    refresh();
  });
})();

/* The support desk (admin/inbox.py), from a file (the Content-Security-Policy allows no inline script).
 *  SLA countdowns and ages tick by admin/static/clock.js (every panel page).
 *  - #conversation[data-poll-url][data-last-event]: asks the events endpoint every data-poll-seconds for
 *    events after the last one shown and appends them (text only: nothing from the server becomes markup). */
(function () {
  "use strict";

  var BADGES = { message: "primary", reply: "success", note: "warning", event: "light", audit: "secondary" };

  function span(cls, text) {
    var el = document.createElement("span");
    el.className = cls;
    el.textContent = text;
    return el;
  }

  function entry(ev) {
    var li = document.createElement("li");
    li.className = "desk-entry desk-" + ev.kind + (ev.internal ? " desk-internal" : "") + " desk-new";
    li.setAttribute("data-entry", "e" + ev.id);
    var head = document.createElement("div");
    head.className = "desk-entry-head";
    head.appendChild(span("badge badge-" + (BADGES[ev.kind] || "light"), ev.label));
    if (ev.internal) { head.appendChild(document.createTextNode(" ")); head.appendChild(span("badge badge-warning", "internal")); }
    head.appendChild(document.createTextNode(" "));
    head.appendChild(span("desk-actor", ev.actor));
    head.appendChild(document.createTextNode(" "));
    var time = document.createElement("time");
    time.className = "text-muted small";
    time.setAttribute("datetime", ev.iso);
    time.setAttribute("title", ev.at);
    time.setAttribute("data-ago", "");
    time.textContent = ev.ago || ev.at;
    head.appendChild(time);
    li.appendChild(head);
    if (ev.body) {
      var body = document.createElement("div");
      body.className = "desk-body pre-wrap";
      body.textContent = ev.body;
      li.appendChild(body);
    }
    return li;
  }

  function poll(list) {
    var url = list.getAttribute("data-poll-url");
    var seconds = parseInt(list.getAttribute("data-poll-seconds"), 10) || 5;
    function again() { window.setTimeout(run, seconds * 1000); }
    function run() {
      var after = list.getAttribute("data-last-event") || "0";
      fetch(url + "?after=" + encodeURIComponent(after), { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
        .then(function (data) {
          (data.events || []).forEach(function (ev) {
            if (!list.querySelector("[data-entry='e" + ev.id + "']")) { list.appendChild(entry(ev)); }
          });
          if ((data.events || []).length) {
            var note = document.getElementById("new-events");
            if (note) { note.classList.remove("d-none"); }
            if (window.chatopsClock) { window.chatopsClock.refresh(); }
          }
          list.setAttribute("data-last-event", String(data.last || after));
        })
        .catch(function () { /* signed out or offline: try again later */ })
        .then(again);
    }
    again();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var list = document.getElementById("conversation");
    if (list && list.getAttribute("data-poll-url")) { poll(list); }
  });
})();

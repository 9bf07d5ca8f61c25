// The console's live updates and queue keys. Everything else is htmx attributes.
// The SSE stream resumes by itself: EventSource sends Last-Event-ID on reconnect.
(function () {
  "use strict";
  const main = document.getElementById("main");
  if (!main) return;
  const customer = main.dataset.liveCustomer;
  const queue = main.dataset.liveQueue;
  if (customer || queue) {
    const after = main.dataset.liveAfter || "0";
    const stream = new EventSource("/api/v1/stream?after=" + encodeURIComponent(after));
    const dot = document.getElementById("live");
    stream.onopen = function () { if (dot) dot.classList.add("on"); };
    stream.onerror = function () { if (dot) dot.classList.remove("on"); };
    stream.addEventListener("interaction", function (e) {
      const data = JSON.parse(e.data);
      if (!customer || data.customer_id !== customer) return;
      const timeline = document.getElementById("timeline");
      htmx.ajax("GET", timeline.dataset.refresh + "?settle_to=" + encodeURIComponent(e.lastEventId),
        { target: "#timeline", swap: "innerHTML" });
    });
    stream.addEventListener("queue", function () {
      if (queue) htmx.ajax("GET", queue, { target: "#cases", swap: "innerHTML" });
    });
  }
  // A canned response picked in an answer form fills its reply text.
  document.querySelectorAll("select[data-canned-url]").forEach(function (select) {
    select.addEventListener("change", function () {
      if (!select.value) return;
      const target = document.getElementById(select.dataset.cannedTarget);
      fetch(select.dataset.cannedUrl + encodeURIComponent(select.value), {
        credentials: "same-origin", headers: { "Accept": "text/plain" } })
        .then(function (answer) { return answer.ok ? answer.text() : Promise.reject(answer.status); })
        .then(function (text) { target.value = text; target.focus(); })
        .catch(function () { select.setCustomValidity("!"); select.reportValidity(); });
    });
  });
  if (queue) {
    // j/k move between cases, c claims, r resolves, n claims the next one.
    document.addEventListener("keydown", function (e) {
      const tag = (e.target.tagName || "").toLowerCase();
      if (["input", "textarea", "select"].includes(tag) || e.ctrlKey || e.metaKey || e.altKey) return;
      const rows = Array.from(document.querySelectorAll(".case-row"));
      const at = rows.indexOf(document.activeElement);
      if (e.key === "j" || e.key === "k") {
        const next = rows[Math.max(0, Math.min(rows.length - 1, at + (e.key === "j" ? 1 : -1)))];
        if (next) next.focus();
      } else if ((e.key === "c" || e.key === "r") && at >= 0) {
        const button = rows[at].querySelector(
          '[data-action="' + (e.key === "c" ? "claim" : "resolve") + '"]');
        if (button) button.click();
      } else if (e.key === "n") {
        const next = document.getElementById("claim-next");
        if (next) next.click();
      } else {
        return;
      }
      e.preventDefault();
    });
  }
})();

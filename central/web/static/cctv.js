// The CCTV alarm page (/cctv): the step timers tick every second, and the page reloads every
// data-refresh-s seconds (new alarms, other officers' steps) unless someone is typing in a form.
(function () {
  "use strict";
  const root = document.getElementById("cctv");
  if (!root) return;
  const refreshMs = 1000 * (parseInt(root.dataset.refreshS, 10) || 10);
  const started = Date.now();
  const clock = (s) => Math.floor(s / 60) + ":" + String(Math.floor(s % 60)).padStart(2, "0");
  let submitting = false;  // a step's form is on its way: never reload over it
  document.addEventListener("submit", () => { submitting = true; });
  const busy = () => {
    if (submitting) return true;
    const active = document.activeElement;
    if (active && (active.tagName === "INPUT" || active.tagName === "TEXTAREA")) return true;
    return Array.from(document.querySelectorAll("#cctv input[name=notes], #cctv input[name=reason], #cctv textarea"))
      .some((field) => field.value.trim() !== "");
  };
  setInterval(() => {
    const elapsed = (Date.now() - started) / 1000;
    document.querySelectorAll("#cctv .timer").forEach((timer) => {
      const waited = parseInt(timer.dataset.waitedS, 10) + elapsed;
      const shown = timer.querySelector("b");
      if (shown) shown.textContent = clock(waited);
      if (waited > parseInt(timer.dataset.limitS, 10)) timer.closest(".cctv-alarm").classList.add("overdue");
    });
  }, 1000);
  setInterval(() => { if (!busy()) window.location.reload(); }, refreshMs);
  root.dataset.live = "yes";
})();

// Idle timeout: any touch or key restarts the countdown; when it runs out the session is wiped.
(function () {
  var idle = parseFloat(document.body.dataset.idle || "90") * 1000;
  var timer;
  function restart() { clearTimeout(timer); timer = setTimeout(function () { location.href = "/reset"; }, idle); }
  ["pointerdown", "keydown", "input"].forEach(function (e) { document.addEventListener(e, restart, true); });
  restart();
})();

function pollScan() {
  fetch("/api/scan").then(function (r) { return r.json(); }).then(function (s) {
    if (s.done) { location.href = "/apply/form"; return; }
    var p = document.getElementById("scan-problem");
    if (s.message) { p.textContent = s.message; p.hidden = false; }
    setTimeout(pollScan, 400);
  }).catch(function () { setTimeout(pollScan, 1000); });
}

function faceLoop() {
  fetch("/api/face", { method: "POST" }).then(function (r) { return r.json(); }).then(function (s) {
    var g = document.getElementById("guidance");
    if (s.done) {
      g.hidden = true;
      document.getElementById("face-ok").hidden = false;
      document.getElementById("next").hidden = false;
      return;
    }
    g.textContent = s.text || "…";
    setTimeout(faceLoop, 300);
  }).catch(function () { setTimeout(faceLoop, 1000); });
}

// Idle timeout: any touch or key restarts the countdown; when it runs out the session is wiped.
(function () {
  var idle = parseFloat(document.body.dataset.idle || "90") * 1000;
  var timer;
  function restart() { clearTimeout(timer); timer = setTimeout(function () { location.href = "/reset"; }, idle); }
  ["pointerdown", "keydown", "input"].forEach(function (e) { document.addEventListener(e, restart, true); });
  restart();
})();

// The on-screen keyboard: a kiosk has no physical keyboard, so every text field opens this one right
// under it when touched (numeric fields get the digit pad). Keys insert at the caret and fire "input"
// like typing; the keys never take the focus, so the field keeps its caret.
(function () {
  var body = document.body, field = null;
  var ROWS = [["1", "2", "3", "4", "5", "6", "7", "8", "9", "0"],
              ["Q", "W", "E", "R", "T", "Y", "U", "I", "O", "P"],
              ["A", "S", "D", "F", "G", "H", "J", "K", "L", "-"],
              ["Z", "X", "C", "V", "B", "N", "M", ".", ",", "/"]];
  var DIGITS = [["1", "2", "3"], ["4", "5", "6"], ["7", "8", "9"], ["-", "0"]];
  var osk = document.createElement("div");
  osk.id = "osk"; osk.hidden = true; osk.setAttribute("role", "group");
  osk.setAttribute("aria-label", body.dataset.oskLabel || "Keyboard");

  function key(label, id, action, cls) {
    var b = document.createElement("button");
    b.type = "button"; b.textContent = label; b.id = id; if (cls) { b.className = cls; }
    // pointerdown/mousedown would move the focus away from the field: keep it there.
    b.addEventListener("mousedown", function (e) { e.preventDefault(); });
    b.addEventListener("click", function (e) { e.preventDefault(); action(); });
    return b;
  }
  function put(text) {
    if (!field) { return; }
    var start = field.selectionStart, end = field.selectionEnd, v = field.value;
    if (start === null || start === undefined) { start = end = v.length; }
    if (text === null) {  // delete
      if (start === end && start > 0) { start -= 1; }
      field.value = v.slice(0, start) + v.slice(end);
      field.setSelectionRange(start, start);
    } else {
      field.value = v.slice(0, start) + text + v.slice(end);
      field.setSelectionRange(start + text.length, start + text.length);
    }
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }
  function build(numeric) {
    osk.innerHTML = "";
    (numeric ? DIGITS : ROWS).forEach(function (row) {
      var r = document.createElement("div"); r.className = "row";
      row.forEach(function (c) { r.appendChild(key(c, "osk-key-" + c, function () { put(c); })); });
      osk.appendChild(r);
    });
    var last = document.createElement("div"); last.className = "row";
    if (!numeric) { last.appendChild(key(body.dataset.oskSpace || "Space", "osk-space", function () { put(" "); }, "wide")); }
    last.appendChild(key("⌫ " + (body.dataset.oskDelete || "Delete"), "osk-delete", function () { put(null); }, "wide"));
    last.appendChild(key(body.dataset.oskDone || "Done", "osk-done", close, "wide done"));
    osk.appendChild(last);
    osk.dataset.mode = numeric ? "numeric" : "text";
  }
  function open(input) {
    field = input;
    build(input.getAttribute("inputmode") === "numeric");
    input.insertAdjacentElement("afterend", osk);
    osk.hidden = false;
  }
  function close() {
    osk.hidden = true;
    if (field) { field.blur(); } field = null;
  }
  document.addEventListener("focusin", function (e) {
    var el = e.target;
    if (el.tagName === "INPUT" && (el.type === "text" || el.type === "search")) { open(el); }
    // Another kind of field closes it; a button does not (the layout would move under the finger).
    else if (el.tagName === "SELECT" || el.tagName === "TEXTAREA") { osk.hidden = true; field = null; }
  });
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

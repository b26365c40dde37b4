// The lobby display refreshes the called numbers every second.
setInterval(function () {
  fetch("/api/queue").then(function (r) { return r.json(); }).then(function (q) {
    var list = document.getElementById("called");
    list.innerHTML = "";
    q.called.forEach(function (c) {
      var li = document.createElement("li");
      li.innerHTML = '<span class="number"></span>';
      li.firstChild.textContent = c.number;
      if (c.counter) { li.appendChild(document.createTextNode(" → Loket / Counter " + c.counter)); }
      list.appendChild(li);
    });
    document.getElementById("waiting").textContent = q.waiting;
  });
}, 1000);

(function () {
  var form = document.getElementById("filter");
  var count = document.getElementById("filter-count");
  if (!form || !count) { return; }
  var results = document.querySelectorAll("[data-status]");
  var objects = document.querySelectorAll("section.object");
  function checked(name) {
    var on = {};
    form.querySelectorAll("input[name=" + name + "]").forEach(function (box) { on[box.value] = box.checked; });
    return on;
  }
  function apply() {
    var status = checked("status");
    var severity = checked("severity");
    var shown = 0;
    results.forEach(function (el) {
      var sev = el.getAttribute("data-severity");
      var visible = status[el.getAttribute("data-status")] === true && (!sev || severity[sev] === true);
      el.hidden = !visible;
      if (visible) { shown += 1; }
    });
    document.querySelectorAll("details.folded").forEach(function (details) {
      details.hidden = details.querySelector("[data-status]:not([hidden])") === null;
    });
    objects.forEach(function (section) {
      section.hidden = section.querySelector("[data-status]:not([hidden])") === null;
    });
    count.textContent = "Showing " + shown + " of " + results.length + " results.";
  }
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  form.hidden = false;
  apply();
})();

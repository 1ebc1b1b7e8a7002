// Funnels page: the step builder's "Add step" and "Remove" act in place instead of a round
// trip to the server (without this script they are submit buttons the server answers).
(function () {
  "use strict";

  function renumber(list) {
    Array.prototype.forEach.call(list.querySelectorAll("li.step"), function (row, i) {
      var n = String(i + 1);
      var label = row.querySelector("label");
      var input = row.querySelector("input");
      var remove = row.querySelector("button.remove");
      input.id = "step-" + n;
      label.htmlFor = input.id;
      label.textContent = "Step " + n;
      remove.value = n;
      remove.setAttribute("aria-label", "Remove step " + n);
    });
  }

  function enhance(form) {
    var list = form.querySelector("ol.steps");
    var add = form.querySelector("button[name='add']");
    if (!list || !add) { return; }
    var most = parseInt(list.dataset.maxSteps, 10) || 20;

    function rows() { return list.querySelectorAll("li.step"); }
    function update() { add.disabled = rows().length >= most; }

    add.addEventListener("click", function (event) {
      event.preventDefault();
      var all = rows();
      if (all.length >= most) { return; }
      var row = all[all.length - 1].cloneNode(true);
      row.querySelector("input").value = "";
      list.appendChild(row);
      renumber(list);
      update();
      row.querySelector("input").focus();
    });

    list.addEventListener("click", function (event) {
      var button = event.target.closest("button.remove");
      if (!button) { return; }
      event.preventDefault();
      var row = button.closest("li.step");
      if (rows().length <= 2) {
        // A funnel needs two steps: keep two fields, empty this one.
        row.querySelector("input").value = "";
        row.querySelector("input").focus();
        return;
      }
      var next = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      renumber(list);
      update();
      if (next) { next.querySelector("input").focus(); }
    });
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("funnel-builder");
    if (form) { enhance(form); }
  });
})();

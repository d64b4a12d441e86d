// kyojo: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  // Show controls that only make sense with JavaScript.
  document.querySelectorAll(".js-only[hidden]").forEach(function (el) { el.hidden = false; });

  // Ask before destructive submissions: <form data-confirm="question">.
  document.addEventListener("submit", function (ev) {
    var q = ev.target.getAttribute && ev.target.getAttribute("data-confirm");
    if (q && !window.confirm(q)) { ev.preventDefault(); }
  });

  // Copy a secret: <button data-copy="input-id" data-copied="label">.
  document.querySelectorAll("[data-copy]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var input = document.getElementById(btn.getAttribute("data-copy"));
      if (!input) { return; }
      var done = function () {
        var old = btn.textContent;
        btn.textContent = btn.getAttribute("data-copied") || old;
        setTimeout(function () { btn.textContent = old; }, 2000);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(done);
      } else {
        input.select();
        document.execCommand("copy");
        done();
      }
    });
  });

  // Filter table rows as one types: <input data-filter="table-id">.
  document.querySelectorAll("input[data-filter]").forEach(function (input) {
    var table = document.getElementById(input.getAttribute("data-filter"));
    if (!table) { return; }
    input.addEventListener("input", function () {
      var q = input.value.trim().toLowerCase();
      table.querySelectorAll("tbody tr").forEach(function (tr) {
        tr.hidden = q !== "" && tr.textContent.toLowerCase().indexOf(q) < 0;
      });
    });
  });

  // Show only the chosen part of a form: radios with data-mode-switch pick
  // which <fieldset data-mode="value"> is visible. Without this file every
  // part shows and the radio alone decides.
  var modes = document.querySelectorAll("input[data-mode-switch]");
  var showMode = function () {
    var chosen = "";
    modes.forEach(function (r) { if (r.checked) { chosen = r.value; } });
    document.querySelectorAll("[data-mode]").forEach(function (el) {
      el.hidden = chosen !== "" && el.getAttribute("data-mode") !== chosen;
    });
  };
  modes.forEach(function (r) { r.addEventListener("change", showMode); });
  if (modes.length) { showMode(); }

  // Add a repeated row: <button data-add-row="container-id">; rows carry
  // data-row and fields named like contacts[3].email.
  document.querySelectorAll("[data-add-row]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var box = document.getElementById(btn.getAttribute("data-add-row"));
      var rows = box ? box.querySelectorAll("[data-row]") : [];
      if (!rows.length) { return; }
      var last = rows[rows.length - 1];
      var next = last.cloneNode(true);
      var n = rows.length;
      var renum = function (s) { return s.replace(/\[\d+\]/, "[" + n + "]"); };
      next.querySelectorAll("[name],[id],[for],[aria-describedby]").forEach(function (el) {
        ["name", "id", "for", "aria-describedby"].forEach(function (a) {
          if (el.hasAttribute(a)) { el.setAttribute(a, renum(el.getAttribute(a))); }
        });
        if (el.type === "checkbox") { el.checked = false; } else if ("value" in el) { el.value = ""; }
        el.removeAttribute("aria-invalid");
      });
      next.querySelectorAll(".field-error").forEach(function (e) { e.remove(); });
      var title = next.querySelector(".row-title");
      if (title) { title.textContent = title.textContent.replace(/\d+/, String(n + 1)); }
      box.appendChild(next);
      var first = next.querySelector("input");
      if (first) { first.focus(); }
    });
  });
})();

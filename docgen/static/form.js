// The kind form: a ledger's rows (添加一行 / 删除), the upload size check,
// the confirmation before 签发, and a "busy" note while the server works.
(function () {
  "use strict";
  var form = document.getElementById("kind-form");
  if (!form) return;

  // -- ledger rows ---------------------------------------------------------
  function renumber(table) {
    var name = table.getAttribute("data-rows");
    var pattern = new RegExp("^" + name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + "\\.(\\d+|__i__)\\.");
    var idPattern = new RegExp("^f-" + name + "-(\\d+|__i__)-");
    var rows = table.tBodies[0].querySelectorAll("tr:not(.row-message)");
    rows.forEach(function (tr, i) {
      tr.id = "f-" + name + "-" + i;
      var no = tr.querySelector(".row-no");
      if (no) no.textContent = String(i + 1);
      tr.querySelectorAll("[name]").forEach(function (el) {
        el.name = el.name.replace(pattern, name + "." + i + ".");
        if (el.id) el.id = el.id.replace(idPattern, "f-" + name + "-" + i + "-");
      });
    });
  }

  document.querySelectorAll("[data-add-row]").forEach(function (button) {
    button.addEventListener("click", function () {
      var name = button.getAttribute("data-add-row");
      var table = form.querySelector('table[data-rows="' + name + '"]');
      var template = document.getElementById("row-template-" + name);
      var row = template.content.firstElementChild.cloneNode(true);
      table.tBodies[0].appendChild(row);
      renumber(table);
      var first = row.querySelector("input, textarea");
      if (first) first.focus();
    });
  });

  form.addEventListener("click", function (event) {
    var button = event.target.closest("[data-delete-row]");
    if (!button) return;
    var tr = button.closest("tr");
    var table = tr.closest("table");
    var next = tr.nextElementSibling;
    if (next && next.classList.contains("row-message")) next.remove();
    tr.remove();
    renumber(table);
  });

  // -- submitting ------------------------------------------------------------
  var busy = form.querySelector(".busy");
  var upload = document.getElementById("f-upload");

  function uploadError(message) {
    var holder = upload.closest("fieldset");
    var old = holder.querySelector(".error-msg.client");
    if (old) old.remove();
    if (!message) return;
    var p = document.createElement("p");
    p.className = "error-msg client";
    p.setAttribute("role", "alert");
    p.textContent = message;
    holder.appendChild(p);
    holder.classList.add("has-error");
  }

  form.addEventListener("submit", function (event) {
    var submitter = event.submitter || document.activeElement;
    var action = submitter && submitter.value;
    if (action === "upload") {
      var file = upload.files && upload.files[0];
      if (!file) {
        event.preventDefault();
        uploadError("请先选择要上传的文件（.xlsx、.csv 或 .json）");
        return;
      }
      var max = parseInt(upload.getAttribute("data-max-bytes") || "0", 10);
      if (max && file.size > max) {
        event.preventDefault();
        uploadError("文件太大：“" + file.name + "”超过了 " + upload.getAttribute("data-max-label") + " 的上限");
        return;
      }
    } else if (upload && upload.files && upload.files.length) {
      // the file is only read by 读取文件; don't send it again with 预览 or 签发
      upload.disabled = true;
      setTimeout(function () { upload.disabled = false; }, 0);
    }
    var question = submitter && submitter.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    if (form.dataset.submitting === "1" && action === "issue") {
      event.preventDefault(); // a double click: the first request is on its way
      return;
    }
    form.dataset.submitting = "1";
    if (busy) busy.textContent = (submitter && submitter.getAttribute("data-busy")) || "";
    // a file download (.docx) keeps this page: allow the buttons again
    setTimeout(function () { form.dataset.submitting = ""; if (busy) busy.textContent = ""; }, action === "docx" ? 1500 : 30000);
  });

  if (upload) upload.addEventListener("change", function () {
    uploadError("");
    var label = upload.closest(".file-pick");
    var name = label && label.querySelector(".file-name");
    var file = upload.files && upload.files[0];
    if (name) name.textContent = file ? file.name : name.getAttribute("data-empty");
    if (label) label.classList.toggle("chosen", !!file);
  });

  // -- errors: bring the summary into view ----------------------------------------------
  var summary = document.getElementById("errors");
  if (summary) summary.focus();
})();

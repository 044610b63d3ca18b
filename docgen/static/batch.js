// Batches: the new-batch form (example sheet per kind, file name, size check)
// and the progress page, which polls /api/v1/batches/<id> until the batch ends.
(function () {
  "use strict";

  // -- the new-batch form ---------------------------------------------------------
  var form = document.getElementById("batch-form");
  if (form) {
    var kind = document.getElementById("f-kind");
    var example = document.getElementById("example-link");
    var upload = document.getElementById("f-upload");
    kind.addEventListener("change", function () {
      var option = kind.options[kind.selectedIndex];
      if (example && option) example.href = option.getAttribute("data-example");
    });
    upload.addEventListener("change", function () {
      var label = upload.closest(".file-pick");
      var name = label.querySelector(".file-name");
      var file = upload.files && upload.files[0];
      name.textContent = file ? file.name : name.getAttribute("data-empty");
      label.classList.toggle("chosen", !!file);
    });
    form.addEventListener("submit", function (event) {
      var file = upload.files && upload.files[0];
      var max = parseInt(upload.getAttribute("data-max-bytes") || "0", 10);
      var busy = form.querySelector(".busy");
      if (file && max && file.size > max) {
        event.preventDefault();
        busy.textContent = "文件太大：超过了 " + upload.getAttribute("data-max-label") + " 的上限";
        return;
      }
      if (form.dataset.submitting === "1") { event.preventDefault(); return; }
      form.dataset.submitting = "1";
      busy.textContent = "正在读取表格…";
    });
  }

  // -- the progress page --------------------------------------------------------------
  var box = document.getElementById("batch");
  if (!box) return;
  var url = box.getAttribute("data-url");
  var statusLine = document.getElementById("batch-status");
  var count = document.getElementById("batch-count");
  var bar = box.querySelector(".progress-bar");
  var progress = document.getElementById("batch-progress");
  var downloads = document.getElementById("batch-downloads");
  var errorsBox = document.getElementById("batch-errors");
  var next = document.getElementById("batch-next");
  var TITLES = {
    queued: "排队等待中…", running: "正在生成…", done: "全部完成", failed: "生成失败"
  };
  var FINAL = ["done", "failed"];
  var failures = 0;

  function link(links, names) {
    if (!links) return null;
    for (var i = 0; i < names.length; i++) if (links[names[i]]) return links[names[i]];
    return null;
  }

  function show(batch) {
    var total = batch.total || 0, done = batch.done || 0;
    var percent = total ? Math.round(100 * done / total) : 0;
    bar.style.width = percent + "%";
    progress.setAttribute("aria-valuenow", String(done));
    count.textContent = "已完成 " + done + " / " + total + " 份（" + percent + "%）";
    var finished = FINAL.indexOf(batch.status) >= 0;
    statusLine.textContent = TITLES[batch.status] || batch.status || "";
    if (batch.status === "done") statusLine.textContent = "全部完成：" + total + (batch.issue ? " 份均已签发并登记" : " 份草稿已生成（未编号）");
    var failed = batch.status === "failed" || batch.status === "error";
    var error = batch.error;
    if (failed && error && !errorsBox.hasChildNodes()) {
      var alert = document.createElement("div");
      alert.className = "alert alert-error";
      alert.setAttribute("role", "alert");
      var strong = document.createElement("strong");
      strong.textContent = (typeof error === "string" ? error : (error.message || "批量任务失败"));
      alert.appendChild(strong);
      var details = (error && error.details) || [];
      if (details.length) {
        var list = document.createElement("ul");
        details.slice(0, 50).forEach(function (d) {
          var li = document.createElement("li");
          li.textContent = (d.loc ? d.loc + "：" : "") + (d.msg || "");
          list.appendChild(li);
        });
        alert.appendChild(list);
      }
      errorsBox.appendChild(alert);
    }
    if (finished) {
      progress.classList.add(failed ? "failed" : "done");
      var packet = failed ? null : link(batch.links, ["packet", "packet.pdf", "packet_pdf", "pdf"]);
      var zip = failed ? null : link(batch.links, ["documents", "documents.zip", "documents_zip", "zip"]);
      var packetLink = document.getElementById("packet-link");
      var zipLink = document.getElementById("zip-link");
      if (packet) packetLink.href = packet; else packetLink.hidden = true;
      if (zip) zipLink.href = zip; else zipLink.hidden = true;
      downloads.hidden = !(packet || zip);
      next.hidden = false;
    }
    return finished;
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (batch) {
        failures = 0;
        // a poll costs the service about a millisecond: often enough that a finished batch shows at once
        if (!show(batch)) setTimeout(poll, 250);
        else if (batch.status === "done") window.location.reload(); // the page then lists the papers
      })
      .catch(function () {
        failures += 1;
        statusLine.textContent = "暂时无法读取进度，正在重试…";
        setTimeout(poll, Math.min(5000, 700 * (failures + 1)));
      });
  }

  var initial = document.getElementById("batch-initial");
  var finished = false;
  try { finished = show(JSON.parse(initial.textContent)); } catch (e) { /* poll instead */ }
  if (!finished) setTimeout(poll, 300);
})();

// 掌上执法: the officer's app. The day's work is cached in IndexedDB; everything recorded on site is
// queued there with an idempotency key and the phone's time, and sent in order when the network
// is back. The server applies each key once; conflicts come back with their reason and stay shown.
"use strict";

const DB_NAME = "zhifa-field";
const $ = (sel) => document.querySelector(sel);
// The cookie holds the current token (the cached page may carry an older one after a new log-in).
const csrf = () => {
  const cookie = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="));
  return cookie ? decodeURIComponent(cookie.slice(10)) : document.querySelector("meta[name=csrf-token]").content;
};
let day = null;
let current = null;
let syncing = false;

function openDb() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => {
      const db = req.result;
      db.createObjectStore("day");
      db.createObjectStore("queue", { keyPath: "seq", autoIncrement: true });
      db.createObjectStore("done", { keyPath: "key" });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function tx(store, mode, fn) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const t = db.transaction(store, mode);
    const result = fn(t.objectStore(store));
    t.oncomplete = () => resolve(result && "result" in result ? result.result : result);
    t.onerror = () => reject(t.error);
  });
}

const getAll = (store) => tx(store, "readonly", (s) => s.getAll());
const newKey = () => (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2)).replace(/[^A-Za-z0-9-]/g, "");
const text = (value) => (value === null || value === undefined ? "" : String(value));

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  Object.entries(attrs || {}).forEach(([k, v]) => {
    if (k === "onclick") node.addEventListener("click", v);
    else node.setAttribute(k, v);
  });
  children.flat().forEach((c) => node.append(c instanceof Node ? c : document.createTextNode(text(c))));
  return node;
}

// --- the day's work ------------------------------------------------------------------------------------

async function loadDay() {
  try {
    if (!navigator.onLine) throw new Error("offline");
    const response = await fetch("/api/v1/field/today/", { credentials: "same-origin" });
    if (!response.ok) throw new Error(String(response.status));
    day = await response.json();
    await tx("day", "readwrite", (s) => s.put(day, "today"));
    $("#cached").textContent = "今日任务已缓存，离线可用";
  } catch (e) {
    day = await tx("day", "readonly", (s) => s.get("today"));
    $("#cached").textContent = day ? "离线：使用已缓存的今日任务" : "无法取得今日任务，请联网后重试";
  }
  showTasks();
}

function showTasks() {
  const list = $("#tasks");
  list.replaceChildren();
  if (!day || !day.items.length) {
    list.append(el("li", { class: "muted" }, "今日没有分配给您的检查任务。"));
    return;
  }
  day.items.forEach((item, i) => {
    const label = `${item.title}${item.party ? "：" + item.party.name : ""}`;
    list.append(el("li", {}, el("button", { type: "button", class: "task", "data-index": i, onclick: () => openTask(i) }, label)));
  });
}

function openTask(i) {
  current = day.items[i];
  const p = current.party || {};
  $("#task-title").textContent = current.title;
  $("#task-basis").textContent = current.basis ? `依据：${current.basis}` : "";
  $("#start").hidden = !current.needs_start;
  $("#record").hidden = Boolean(current.needs_start);
  $("#start-place").value = current.place || p.address || "";
  $("#start-facts").value = current.content || "";
  $("#start-note").textContent = "";
  $("#code").hidden = !current.code_svg;
  // the code's SVG is drawn by zhifa (segno) and cached with the day, so it shows without signal
  $("#code-qr").innerHTML = current.code_svg || "";
  $("#party").replaceChildren(
    el("p", {}, el("strong", {}, p.name || "—")),
    el("p", {}, "地址：", p.address || "—"),
    el("p", {}, "行业：", p.industry || "—", " ", p.sector || ""),
    el("p", {}, "风险等级：", p.risk_level || "—", "　联系人：", p.contact || "—"),
    el("p", {}, "未整改隐患：", (p.open_hazards || []).length ? p.open_hazards.map((h) => h.description).join("；") : "无"),
  );
  const checklist = $("#checklist");
  checklist.replaceChildren();
  if (!(p.checklist || []).length) checklist.append(el("li", { class: "muted" }, "本单位政策包没有适用于该企业的检查表，请按检查方案逐项检查并在检查情况中记录。"));
  (p.checklist || []).forEach((row, n) => {
    checklist.append(el("li", {}, el("label", {}, el("input", { type: "checkbox", "data-n": n }), ` ${row.item}`), el("span", { class: "muted" }, `（${row.basis}）`)));
  });
  $("#place").value = current.place || "";
  $("#findings").value = "";
  $("#recording").value = "";
  // what the agency's recording list demands on site, with its citation (cached with the day)
  const demands = (day && day.recording) || {};
  const inspectRule = demands.inspect || {};
  const orderRule = demands.order_rectification || {};
  $("#av-rule").textContent = inspectRule.text ? `本单位音像记录清单：${inspectRule.text}。` : "本单位音像记录清单未要求现场检查必须录音录像。";
  $("#order-av").textContent = orderRule.required ? `下达指令书：${orderRule.text}。` : "";
  $("#dispute-ask").hidden = !inspectRule.asks_dispute;
  document.querySelectorAll("input[name=disputed]").forEach((box) => { box.checked = false; });
  $("#order-later").checked = false;
  $("#hazards").replaceChildren();
  clearSignature();
  $("#task").hidden = false;
  $("#home").hidden = true;
  $("#saved").textContent = "";
  if (current.inspected) $("#saved").textContent = "该检查已登记现场检查，可继续登记隐患。";
}

function addHazard() {
  const n = $("#hazards").children.length + 1;
  $("#hazards").append(
    el("fieldset", { class: "hazard" },
      el("legend", {}, `隐患${n}`),
      el("label", {}, "隐患描述", el("textarea", { class: "h-desc", rows: "2", maxlength: "2000" })),
      el("label", {}, "部位", el("input", { class: "h-loc", maxlength: "200" })),
      el("label", {}, "现场照片", el("input", { class: "h-photo", type: "file", accept: "image/*", capture: "environment" })),
    ),
  );
}

// --- signatures on the screen ---------------------------------------------------------------------------

const inked = {};

function setupCanvas(id) {
  const canvas = document.getElementById(id);
  const ctx = canvas.getContext("2d");
  let drawing = false;
  const at = (e) => {
    const r = canvas.getBoundingClientRect();
    return [(e.clientX - r.left) * (canvas.width / r.width), (e.clientY - r.top) * (canvas.height / r.height)];
  };
  canvas.addEventListener("pointerdown", (e) => {
    drawing = true;
    canvas.setPointerCapture(e.pointerId);
    ctx.beginPath();
    ctx.moveTo(...at(e));
  });
  canvas.addEventListener("pointermove", (e) => {
    if (!drawing) return;
    ctx.lineWidth = 3;
    ctx.lineCap = "round";
    ctx.strokeStyle = "#000";
    ctx.lineTo(...at(e));
    ctx.stroke();
    inked[id] = true;
  });
  ["pointerup", "pointercancel"].forEach((t) => canvas.addEventListener(t, () => { drawing = false; }));
}

function clearCanvas(id) {
  const canvas = document.getElementById(id);
  canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
  inked[id] = false;
}

function clearSignature() {
  clearCanvas("sign-canvas");
  clearCanvas("officer-canvas");
  clearCanvas("receipt-canvas");
}

const canvasBlob = (id) => new Promise((resolve) => document.getElementById(id).toBlob(resolve, "image/png"));

// --- recording: everything goes to the queue first -------------------------------------------------------

async function save() {
  if (!current || !current.matter) {
    $("#saved").textContent = "该任务尚未建立执法事项，请先在电脑端登记检查。";
    return;
  }
  const now = () => new Date().toISOString();
  const matter = current.matter;
  const items = [];
  const hazards = [];
  for (const block of document.querySelectorAll("#hazards .hazard")) {
    const file = block.querySelector(".h-photo").files[0];
    let photo = null;
    if (file) {
      photo = newKey();
      items.push({ key: photo, kind: "photo", device_time: now(), matter, blob: file, name: file.name });
    }
    hazards.push({ description: block.querySelector(".h-desc").value.trim(), location: block.querySelector(".h-loc").value.trim(), photo });
  }
  const checks = [...document.querySelectorAll("#checklist input")].map((box) => {
    const row = current.party.checklist[Number(box.dataset.n)];
    return `${row.item}：${box.checked ? "存在问题" : "未发现问题"}`;
  });
  const inspect = newKey();
  const recordingFile = $("#recording").files[0];
  // the pack's recording list, checked here on site (the server checks again): refused before queuing
  const demands = (day && day.recording) || {};
  const inspectRule = demands.inspect || {};
  const answer = document.querySelector("input[name=disputed]:checked");
  if (!current.inspected && inspectRule.asks_dispute && !answer) {
    $("#saved").textContent = `未保存：请回答本次检查是否可能引发争议（${inspectRule.text}）。`;
    return;
  }
  const covers = (rule, photos) => Boolean(recordingFile) || ((rule.media || []).includes("photo") && photos);
  const needed = inspectRule.required || (inspectRule.asks_dispute && answer && answer.value === "yes");
  if (!current.inspected && needed && !covers(inspectRule, items.some((x) => x.kind === "photo"))) {
    $("#saved").textContent = `未保存：${inspectRule.text}。请录制或选择现场录音录像后再保存。`;
    return;
  }
  const orderRule = demands.order_rectification || {};
  if ($("#order-on").checked && !current.inspected && !hazards.some((h) => h.description)) {
    $("#saved").textContent = "未保存：责令限期整改指令书须列明发现的隐患，请先添加隐患并填写隐患描述。";
    return;
  }
  if ($("#order-on").checked && (!$("#order-basis").value.trim() || !$("#order-due").value)) {
    $("#saved").textContent = "未保存：请填写责令限期整改指令书的依据和整改期限。";
    return;
  }
  if ($("#order-on").checked && orderRule.required && !recordingFile) {
    $("#saved").textContent = `未保存：${orderRule.text}。请录制或选择现场录音录像后再保存。`;
    return;
  }
  let recordingKey = null;
  if (recordingFile && (!current.inspected || $("#order-on").checked)) {
    recordingKey = newKey();
    items.push({ key: recordingKey, kind: "photo", recording: true, device_time: now(), matter, blob: recordingFile, name: recordingFile.name });
  }
  if (!current.inspected) {
    const findings = [$("#findings").value.trim(), ...checks].filter(Boolean).join("\n");
    const disputed = inspectRule.asks_dispute ? answer.value : "";
    items.push({ key: inspect, kind: "inspect", device_time: now(), data: { matter, place: $("#place").value.trim(), findings, disputed, photos: items.filter((x) => x.kind === "photo").map((x) => x.key) } });
  }
  hazards.filter((h) => h.description).forEach((h) => {
    items.push({ key: newKey(), kind: "hazard", device_time: now(), data: { matter, description: h.description, location: h.location, photo: h.photo } });
  });
  const refused = $("#refused").checked;
  if (!current.inspected && (inked["sign-canvas"] || refused)) {
    const data = { inspection: inspect, role: "party", name: $("#signer").value.trim(), image: $("#sign-canvas").toDataURL("image/png"), refused };
    if (refused) Object.assign(data, { witness: $("#witness").value.trim(), refusal_reason: $("#refusal-reason").value.trim() });
    items.push({ key: newKey(), kind: "signature", device_time: now(), data });
  }
  if (!current.inspected && inked["officer-canvas"]) {
    const name = document.querySelector("meta[name=officer-name]").content;
    items.push({ key: newKey(), kind: "signature", device_time: now(), data: { inspection: inspect, role: "officer", name, image: $("#officer-canvas").toDataURL("image/png") } });
  }
  const records = recordingKey ? [recordingKey] : [];
  if ($("#order-on").checked && $("#order-later").checked) {
    // made now, served afterwards: 电子送达 from the list of 文书 where the party agreed to it
    items.push({ key: newKey(), kind: "order", device_time: now(), data: { matter, basis: $("#order-basis").value.trim(), rectify_by: $("#order-due").value, place: $("#place").value.trim(), serve: "later", records } });
  } else if ($("#order-on").checked) {
    // 责令限期整改指令书 served on the spot: the party's signature on its receipt is the receipt.
    if (!inked["receipt-canvas"]) {
      $("#saved").textContent = "未保存：当场送达须受送达人在送达回执处签名；不当场送达的，请勾选“稍后电子送达”。";
      return;
    }
    const receipt = newKey();
    const order = newKey();
    const signer = $("#signer").value.trim();
    items.push({ key: receipt, kind: "photo", device_time: now(), matter, blob: await canvasBlob("receipt-canvas"), name: "送达回执签名.png" });
    items.push({ key: order, kind: "order", device_time: now(), data: { matter, basis: $("#order-basis").value.trim(), rectify_by: $("#order-due").value, recipient: signer, signer, place: $("#place").value.trim(), receipt, records } });
    items.push({ key: newKey(), kind: "signature", device_time: now(), data: { order, role: "party", name: signer, image: $("#receipt-canvas").toDataURL("image/png") } });
  }
  await tx("queue", "readwrite", (s) => items.forEach((item) => s.add({ ...item, state: "pending", message: "" })));
  current.inspected = true;
  await showQueue(); // the queue's count first, so that the message never shows beside a stale count
  $("#saved").textContent = `已保存在本机（${items.length}项），联网后自动上传。`;
  sync();
}

// --- starting the inspection of a 双随机 task: online only ------------------------------------------------

const startKeys = {};

async function start() {
  const note = $("#start-note");
  if (!navigator.onLine) {
    note.textContent = "当前离线：开始检查须联网，检查码要先登记到平台，企业扫码才能查到。请到有信号处再开始。";
    return;
  }
  // one key per task until the server answers: tapping again after a lost answer changes nothing
  const key = startKeys[current.task] || (startKeys[current.task] = newKey());
  note.textContent = "正在开始检查……";
  let body;
  try {
    const response = await fetch("/api/v1/field/sync/", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify({ items: [{ key, kind: "start", device_time: new Date().toISOString(), data: { task: current.task, place: $("#start-place").value.trim(), facts: $("#start-facts").value.trim() } }] }),
    });
    body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.detail || `服务器拒绝（${response.status}）`);
  } catch (e) {
    note.textContent = `未能开始检查：${e.message === "Failed to fetch" ? "网络中断，请稍后重试" : e.message}`;
    return;
  }
  const answer = (body.items || [])[0] || {};
  if (answer.state !== "applied") {
    delete startKeys[current.task];
    note.textContent = `未能开始检查：${answer.message || "服务器未接受"}`;
    return;
  }
  // the 现场检查方案 made now joins the list of 文书 to print
  await tx("done", "readwrite", (st) => st.put({ key, kind: "start", result: answer.result }));
  await showQueue();
  const task = current.task;
  await loadDay();
  const i = day.items.findIndex((x) => x.task === task && x.matter);
  if (i >= 0) openTask(i);
  $("#saved").textContent = "已开始检查，检查码已生成。";
}

// --- sync: in order, each key once -----------------------------------------------------------------------

async function send(item) {
  if (item.kind === "photo") {
    const form = new FormData();
    form.append("key", item.key);
    form.append("matter", item.matter);
    form.append("device_time", item.device_time);
    form.append("title", item.recording ? "现场录音录像" : "现场照片");
    if (item.recording) form.append("recording", "true");
    form.append("file", item.blob, item.name || "photo.jpg");
    return fetch("/api/v1/field/photos/", { method: "POST", body: form, credentials: "same-origin", headers: { "X-CSRFToken": csrf() } });
  }
  return fetch("/api/v1/field/sync/", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
    body: JSON.stringify({ items: [{ key: item.key, kind: item.kind, device_time: item.device_time, data: item.data }] }),
  });
}

async function sync() {
  if (syncing || !navigator.onLine) return;
  syncing = true;
  try {
    const queue = (await getAll("queue")).filter((x) => x.state === "pending").sort((a, b) => a.seq - b.seq);
    for (const item of queue) {
      let response;
      try {
        response = await send(item);
      } catch (e) {
        break; // still no network: keep the rest, in order
      }
      const body = await response.json().catch(() => ({}));
      const answer = item.kind === "photo" ? body : (body.items || [])[0];
      if (!response.ok || !answer) {
        item.state = "conflict";
        item.message = body.detail || `服务器拒绝（${response.status}）`;
        await tx("queue", "readwrite", (s) => s.put(item));
        continue;
      }
      if (answer.state === "applied") {
        await tx("done", "readwrite", (s) => s.put({ key: item.key, kind: item.kind, result: answer.result }));
        await tx("queue", "readwrite", (s) => s.delete(item.seq));
      } else {
        item.state = "conflict";
        item.message = answer.message;
        await tx("queue", "readwrite", (s) => s.put(item));
      }
    }
  } finally {
    syncing = false;
    await showQueue();
  }
}

const KINDS = { start: "现场检查方案", photo: "照片", inspect: "现场检查记录", hazard: "隐患", order: "责令限期整改指令书", signature: "签名" };

async function showQueue() {
  const queue = await getAll("queue");
  const done = await getAll("done");
  $("#pending").textContent = String(queue.filter((x) => x.state === "pending").length);
  $("#synced").textContent = String(done.length);
  $("#issued").replaceChildren(
    ...done.filter((x) => x.result && x.result.instrument && ["start", "inspect", "order"].includes(x.kind)).map((x) =>
      el("li", {}, `${KINDS[x.kind] || x.kind} ${x.result.number || ""} `,
        el("a", { href: `/field/instruments/${x.result.instrument}/print/?paper=80`, class: "print" }, "便携打印、电子送达"), " ",
        el("a", { href: `/field/instruments/${x.result.instrument}/print/?paper=a4` }, "A4打印"), " ",
        el("a", { href: `/matters/${x.result.matter}/` }, "执法事项"))),
  );
  $("#conflicts").replaceChildren(
    ...queue.filter((x) => x.state === "conflict").map((x) => el("li", { class: "conflict" }, `${KINDS[x.kind] || x.kind}未同步：${x.message}`)),
  );
}

function showNetwork() {
  $("#net").textContent = navigator.onLine ? "在线" : "离线";
  $("#net").className = navigator.onLine ? "tag ok" : "tag bad";
}

window.addEventListener("online", () => { showNetwork(); sync(); });
window.addEventListener("offline", showNetwork);

document.addEventListener("DOMContentLoaded", async () => {
  setupCanvas("sign-canvas");
  setupCanvas("receipt-canvas");
  setupCanvas("officer-canvas");
  $("#add-hazard").addEventListener("click", addHazard);
  $("#clear-sign").addEventListener("click", () => clearCanvas("sign-canvas"));
  $("#save").addEventListener("click", save);
  $("#start-go").addEventListener("click", start);
  $("#sync").addEventListener("click", sync);
  $("#back").addEventListener("click", () => { $("#task").hidden = true; $("#home").hidden = false; });
  showNetwork();
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/field/sw.js", { scope: "/field/" });
  await loadDay();
  await showQueue();
  sync();
  setInterval(() => { showNetwork(); sync(); }, 5000);
});

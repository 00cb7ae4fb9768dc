// Resumable upload: start a session (or find the one for this file), send pieces at the offset the
// server confirms, retry after a dropped connection, then file the record.
(function () {
  const form = document.getElementById("upload-form");
  if (!form) return;
  const CHUNK = 8 * 1024 * 1024;
  const bar = document.getElementById("bar");
  const status = document.getElementById("status");
  const csrf = form.dataset.csrf;
  const say = (text) => { status.textContent = text; };
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const key = (f) => "zhifa-upload:" + f.name + ":" + f.size + ":" + f.lastModified;

  async function call(url, options) {
    const response = await fetch(url, Object.assign({ credentials: "same-origin" }, options));
    const data = await response.json().catch(() => ({}));
    if (!response.ok) { const e = new Error(data.detail || ("服务器返回 " + response.status)); e.status = response.status; throw e; }
    return data;
  }

  async function session(file) {
    const saved = localStorage.getItem(key(file));
    if (saved) {
      try { return await call(saved, { method: "GET" }); } catch (e) { localStorage.removeItem(key(file)); }
    }
    const data = await call(form.dataset.start, {
      method: "POST", headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ file_name: file.name, size: file.size }),
    });
    localStorage.setItem(key(file), form.dataset.start + data.id + "/");
    return data;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = document.getElementById("file").files[0];
    if (!file) { say("请选择文件。"); return; }
    if (file.size === 0) { say("所选文件是空文件（0字节），未上传。"); return; }
    document.getElementById("go").disabled = true;
    bar.style.display = "block";
    try {
      let state = await session(file);
      const url = form.dataset.start + state.id + "/";
      let failures = 0;
      while (state.received < state.size) {
        const end = Math.min(state.received + CHUNK, state.size);
        bar.value = (100 * state.received) / state.size;
        say("已上传 " + (state.received / 1048576).toFixed(1) + " / " + (state.size / 1048576).toFixed(1) + " MiB");
        try {
          state = await call(url, {
            method: "PATCH",
            headers: { "Content-Type": "application/offset+octet-stream", "Upload-Offset": String(state.received), "X-CSRFToken": csrf },
            body: file.slice(state.received, end),
          });
          failures = 0;
        } catch (e) {
          if (e.status === 400 || e.status === 403) throw e;
          failures += 1;
          say("连接中断，" + Math.min(30, 2 ** failures) + " 秒后从已确认的位置续传……");
          await sleep(1000 * Math.min(30, 2 ** failures));
          state = await call(url, { method: "GET" });
        }
      }
      bar.value = 100;
      say("正在校验并存储……");
      const body = {
        title: document.getElementById("title").value,
        confidentiality: document.getElementById("confidentiality").value,
      };
      const kind = document.getElementById("kind").value; if (kind) body.kind = kind;
      const device = document.getElementById("device").value; if (device) body.device = device;
      const record = await call(url + "finish/", {
        method: "POST", headers: { "Content-Type": "application/json", "X-CSRFToken": csrf }, body: JSON.stringify(body),
      });
      localStorage.removeItem(key(file));
      const again = record.already_stored ? "?delivered=" + encodeURIComponent(record.already_stored.name) : "";
      window.location.href = "../" + record.id + "/" + again;
    } catch (e) {
      say("上传未完成：" + e.message);
      document.getElementById("go").disabled = false;
    }
  });
})();

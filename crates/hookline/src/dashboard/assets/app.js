// Hookline dashboard: the little that needs a script. Everything works without it except
// showing times in the viewer's zone, the confirmations and the secret's reveal and copy.
"use strict";

// Times: the markup holds UTC (kept on hover); show the viewer's local time.
function localTimes() {
  for (const t of document.querySelectorAll("time[datetime]")) {
    const d = new Date(t.getAttribute("datetime"));
    if (!isNaN(d)) t.textContent = d.toLocaleString();
  }
}

// Destructive actions ask first.
document.addEventListener("submit", (e) => {
  const q = e.target.getAttribute && e.target.getAttribute("data-confirm");
  if (q && !window.confirm(q)) e.preventDefault();
});

// The signing secret: fetched only when asked for, and copied on request.
async function secretText(box) {
  if (box.dataset.loaded !== "1") {
    const r = await fetch(box.dataset.src, { credentials: "same-origin", cache: "no-store" });
    if (!r.ok) throw new Error("HTTP " + r.status);
    box.textContent = await r.text();
    box.dataset.loaded = "1";
  }
  return box.textContent;
}

document.addEventListener("click", async (e) => {
  const b = e.target.closest && e.target.closest("button[data-reveal], button[data-copy]");
  if (!b) return;
  const box = document.getElementById(b.dataset.reveal || b.dataset.copy);
  if (!box) return;
  try {
    const text = await secretText(box);
    if (b.dataset.reveal) {
      const shown = box.hidden;
      box.hidden = !shown;
      b.setAttribute("aria-pressed", shown ? "true" : "false");
      b.textContent = shown ? "Hide" : "Reveal";
    } else {
      await navigator.clipboard.writeText(text);
      b.textContent = "Copied";
    }
  } catch (err) {
    b.textContent = "Failed: " + err.message;
  }
});

// The app-portal link: post its one-time code from the fragment, then drop it from the
// address bar and the history.
function portal() {
  const f = document.getElementById("portal");
  const m = /^#key=([^&]+)/.exec(window.location.hash);
  if (!f || !m) return;
  history.replaceState(null, "", window.location.pathname);
  f.elements.code.value = decodeURIComponent(m[1]);
  f.submit();
}

// A part marked data-live (the endpoint's attempts after a test event) is fetched again
// every two seconds for half a minute, so the new attempt appears without a reload.
function live() {
  const el = document.querySelector("[data-live]");
  if (!el) return;
  let left = 15;
  const tick = async () => {
    if (--left < 0) return;
    try {
      const r = await fetch(window.location.href, { credentials: "same-origin", cache: "no-store" });
      const doc = new DOMParser().parseFromString(await r.text(), "text/html");
      const fresh = doc.getElementById(el.id);
      if (fresh) { el.innerHTML = fresh.innerHTML; localTimes(); }
    } catch (_) { /* the next tick tries again */ }
    setTimeout(tick, 2000);
  };
  setTimeout(tick, 2000);
}

localTimes();
portal();
live();

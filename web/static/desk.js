// The warehouse desk and the count sheet: a keyboard-wedge barcode scanner types a SKU, then
// Enter. On the desk that Enter adds the line (or one more of a line already there) and never
// submits the form; only the Post button does.
(() => {
  const form = document.getElementById("desk-form");
  if (!form) return;
  const scan = document.getElementById("sku");
  const lines = document.getElementById("desk-lines");
  const error = document.getElementById("sku-error");
  const pending = new Map(); // lower-case SKU -> its lookup, while a scan is on its way

  const rowFor = (key) => lines.querySelector(`tr[data-sku="${CSS.escape(key)}"]`);

  function say(message) {
    error.textContent = message;
    error.hidden = !message;
    if (message) scan.setAttribute("aria-invalid", "true");
    else scan.removeAttribute("aria-invalid");
  }

  function bump(row) {
    const qty = row.querySelector("input[name=quantity]");
    const now = Number(qty.value.replace(",", "."));
    qty.value = String(Number.isFinite(now) ? Math.round((now + 1) * 1000) / 1000 : 1);
  }

  async function lookup(raw) {
    const url = `${form.dataset.lookup}?type=${encodeURIComponent(form.dataset.type)}` +
      `&sku=${encodeURIComponent(raw)}`;
    const response = await fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" });
    if (response.status === 401 && response.headers.get("HX-Redirect")) {
      window.location = response.headers.get("HX-Redirect");
      return null;
    }
    const holder = document.createElement("template");
    holder.innerHTML = (await response.text()).trim();
    if (!response.ok) {
      say(holder.content.textContent.trim() || "That SKU could not be looked up; try again.");
      return null;
    }
    return holder.content.querySelector("tr");
  }

  async function add(typed) {
    const raw = typed.trim();
    const key = raw.toLowerCase();
    if (!key) return;
    say("");
    if (pending.has(key)) await pending.get(key); // a second scan while the first is looked up
    const there = rowFor(key);
    if (there) {
      bump(there);
      return;
    }
    const asked = lookup(raw);
    pending.set(key, asked);
    try {
      const row = await asked;
      if (!row) return;
      const same = rowFor(row.dataset.sku); // typed in another case than the item's own
      if (same) bump(same);
      else lines.append(row);
    } catch (failed) {
      say("The server could not be reached; the scan was not added. Scan again.");
    } finally {
      pending.delete(key);
    }
  }

  form.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.target.tagName !== "INPUT") return;
    event.preventDefault(); // Enter from a scanner must never post the document
    if (event.target === scan) {
      const typed = scan.value;
      scan.value = "";
      add(typed);
    } else {
      scan.focus();
    }
  });
  document.getElementById("sku-add").addEventListener("click", () => {
    const typed = scan.value;
    scan.value = "";
    add(typed);
    scan.focus();
  });
  lines.addEventListener("click", (event) => {
    const remove = event.target.closest("[data-remove]");
    if (!remove) return;
    remove.closest("tr").remove();
    scan.focus();
  });
  form.addEventListener("submit", (event) => {
    if (!pending.size) return;
    // A scan still being looked up: post once its line is in. Dropping the click instead left
    // the person looking at a form that did nothing.
    event.preventDefault();
    const button = event.submitter;
    Promise.allSettled([...pending.values()]).then(() => form.requestSubmit(button));
  });
})();

// The count sheet: Enter after a scanned SKU moves to the count, so the form is sent only with
// a count in it.
(() => {
  const scan = document.querySelector("[data-then]");
  if (!scan) return;
  scan.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    document.getElementById(scan.dataset.then).focus();
  });
})();

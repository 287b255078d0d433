// The platform's small amount of JavaScript. htmx is loaded before this file (django-htmx).
document.addEventListener("htmx:responseError", (event) => {
  // Keep the user's text: nothing is swapped, and the error is announced.
  const target = event.detail.target;
  const status = event.detail.xhr.status;
  const box = document.createElement("p");
  box.setAttribute("role", "alert");
  box.className = "message message-error";
  box.textContent =
    status === 429
      ? "You are doing that too often. Please wait a moment and try again."
      : "That did not work (error " + status + "). Your text is kept; please try again.";
  target.insertAdjacentElement("beforebegin", box);
});

// Focus after an htmx swap. htmx itself gives focus to the swapped-in element with the id the
// focused one had (a reaction button) and to an element marked autofocus (a new post). When
// neither applies and focus was inside what got replaced, it would fall to <body>: it goes to the
// first field in error in the new content (an empty reply), else to the new content itself.
let replacedFocus = null;
document.addEventListener("htmx:beforeSwap", (event) => {
  const target = event.detail.target;
  replacedFocus = target && target.id && target.contains(document.activeElement) ? target.id : null;
});
document.addEventListener("htmx:afterSettle", () => {
  const id = replacedFocus;
  replacedFocus = null;
  if (!id || (document.activeElement && document.activeElement !== document.body)) {
    return;
  }
  const fresh = document.getElementById(id);
  if (!fresh) {
    return;
  }
  const invalid = fresh.querySelector('[aria-invalid="true"]');
  if (invalid) {
    invalid.focus();
    return;
  }
  if (!fresh.hasAttribute("tabindex")) {
    fresh.setAttribute("tabindex", "-1");
  }
  fresh.focus();
});

// The error summary's links move focus to the first field of the question they name, with the
// question's legend or label scrolled into view (following the link alone only scrolls).
document.addEventListener("click", (event) => {
  const link = event.target.closest(".error-summary a[href^='#']");
  const target = link && document.getElementById(decodeURIComponent(link.hash.slice(1)));
  if (!target) {
    return;
  }
  const fields = "input:not([type=hidden]):not([disabled]), textarea, select";
  const field = target.matches(fields) ? target : target.querySelector(fields);
  if (!field) {
    return;
  }
  event.preventDefault();
  (target.querySelector("legend, label") || target).scrollIntoView();
  field.focus({ preventScroll: true });
});

// Toolbars (a post's reactions) are one Tab stop: arrow keys, Home and End move between their
// buttons, and the button last used keeps the stop. Without JavaScript every button is a stop.
function toolbarButtons(bar) {
  return [...bar.querySelectorAll("button")];
}
function toolbarStop(bar, button) {
  for (const item of toolbarButtons(bar)) {
    item.tabIndex = item === button ? 0 : -1;
  }
}
// The stop is the focused button, else the one that already holds it: htmx gives focus back to
// a swapped-in button (focusin makes it the stop) before htmx:load, by when the person may have
// tabbed on.
function toolbarsStart(root) {
  const bars = root.matches && root.matches('[role="toolbar"]') ? [root] : [];
  for (const bar of [...bars, ...root.querySelectorAll('[role="toolbar"]')]) {
    const buttons = toolbarButtons(bar);
    const held = buttons.find((button) => button.getAttribute("tabindex") === "0");
    const focused = buttons.includes(document.activeElement) ? document.activeElement : null;
    toolbarStop(bar, focused || held || buttons[0]);
  }
}
document.addEventListener("keydown", (event) => {
  const bar = event.target.closest && event.target.closest('[role="toolbar"]');
  if (!bar) {
    return;
  }
  const buttons = toolbarButtons(bar);
  const at = buttons.indexOf(event.target);
  const moves = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: buttons.length - 1 };
  if (at < 0 || !(event.key in moves)) {
    return;
  }
  event.preventDefault();
  const next = buttons[(moves[event.key] + buttons.length) % buttons.length];
  toolbarStop(bar, next);
  next.focus();
});
document.addEventListener("focusin", (event) => {
  const bar = event.target.closest && event.target.closest('[role="toolbar"]');
  if (bar && event.target.matches("button")) {
    toolbarStop(bar, event.target);
  }
});

// A table wider than the screen scrolls sideways inside its wrapper; the wrapper then takes
// keyboard focus (so arrow keys scroll it) as a region named by the table's caption or heading.
function regionName(wrap) {
  const caption = wrap.querySelector("caption");
  if (caption) {
    return caption.textContent.trim();
  }
  for (let node = wrap; node; node = node.parentElement) {
    for (let before = node.previousElementSibling; before; before = before.previousElementSibling) {
      if (/^H[1-6]$/.test(before.tagName)) {
        return before.textContent.trim();
      }
    }
  }
  return "Table";
}
function scrollRegionsMark() {
  for (const wrap of document.querySelectorAll(".table-wrap, .overflow-auto")) {
    if (wrap.scrollWidth > wrap.clientWidth) {
      wrap.setAttribute("tabindex", "0");
      wrap.setAttribute("role", "region");
      wrap.setAttribute("aria-label", regionName(wrap) + " (scrolls sideways)");
    } else if (wrap.getAttribute("role") === "region") {
      wrap.removeAttribute("tabindex");
      wrap.removeAttribute("role");
      wrap.removeAttribute("aria-label");
    }
  }
}
let resizing = null;
window.addEventListener("resize", () => {
  clearTimeout(resizing);
  resizing = setTimeout(scrollRegionsMark, 150);
});
// A table inside a closed <details> only overflows once it opens.
document.addEventListener("toggle", scrollRegionsMark, true);

// On a phone a table becomes one card per row (static/css/app.css, `table.stacked`): each cell
// is labelled with its column's heading, so no page needs to scroll sideways. Without
// JavaScript the table keeps its columns and scrolls inside its wrapper.
function tablesStack(root) {
  const tables = root.matches && root.matches("table") ? [root] : root.querySelectorAll("table");
  for (const table of tables) {
    const headings = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
    if (!headings.length) {
      continue;
    }
    for (const row of table.querySelectorAll("tbody tr, tfoot tr")) {
      // A cell spanning columns ("No participants yet.") belongs to none of their headings.
      let column = 0;
      for (const cell of row.children) {
        if (!cell.hasAttribute("data-label")) {
          cell.setAttribute("data-label", cell.colSpan > 1 ? "" : headings[column] || "");
        }
        column += cell.colSpan;
      }
    }
    table.classList.add("stacked");
  }
}

document.addEventListener("DOMContentLoaded", () => {
  toolbarsStart(document);
  tablesStack(document);
  scrollRegionsMark();
});
document.addEventListener("htmx:load", (event) => {
  toolbarsStart(event.detail.elt);
  tablesStack(event.detail.elt);
  scrollRegionsMark();
});

// The browser's back button restores a page as it was (bfcache); a page that must be current
// (a thread: a post restored or hidden since) asks for a fresh copy, so it never says what is
// no longer true.
window.addEventListener("pageshow", (event) => {
  if (event.persisted && document.querySelector('meta[name="fresh-on-back"]')) {
    window.location.reload();
  }
});

// @mention autocomplete for every textarea[data-mentions] on a page that holds #mention-source.
// Typing "@" and part of a name lists up to 8 people who see the space (server-rendered options);
// arrow keys move, Enter or Tab picks, Escape closes. Picking inserts "@[Name] ". Without
// JavaScript the same syntax is typed by hand. Listeners sit on the document, so textareas
// that htmx swaps in (a fresh reply form, comment forms) work too.
(() => {
  const TOKEN = /(^|\s)@\[?([^\]\n@]{0,40})$/;
  let list = null;
  let active = -1;
  let field = null;
  let timer = null;
  let request = 0;

  const source = () => document.getElementById("mention-source");

  function options() {
    return list ? [...list.querySelectorAll("[role=option][data-mention-name]")] : [];
  }

  function close() {
    if (list) list.remove();
    if (field) {
      field.setAttribute("aria-expanded", "false");
      field.removeAttribute("aria-activedescendant");
    }
    list = null;
    active = -1;
  }

  function highlight(index) {
    const items = options();
    if (!items.length) return;
    active = (index + items.length) % items.length;
    items.forEach((item, n) => item.setAttribute("aria-selected", String(n === active)));
    field.setAttribute("aria-activedescendant", items[active].id);
  }

  function token(textarea) {
    const before = textarea.value.slice(0, textarea.selectionStart);
    const match = before.match(TOKEN);
    return match ? { query: match[2], start: before.length - match[0].length + match[1].length } : null;
  }

  function pick(item) {
    const found = token(field);
    if (!found) return close();
    const end = field.selectionStart;
    const inserted = "@[" + item.dataset.mentionName + "] ";
    field.value = field.value.slice(0, found.start) + inserted + field.value.slice(end);
    const caret = found.start + inserted.length;
    field.setSelectionRange(caret, caret);
    close();
    field.focus();
  }

  function show(textarea, html) {
    close();
    field = textarea;
    list = document.createElement("ul");
    list.id = "mention-listbox";
    list.className = "mention-listbox";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "People to mention");
    // Same-origin HTML rendered and escaped by Django's templates.
    list.innerHTML = html;
    textarea.insertAdjacentElement("afterend", list);
    textarea.setAttribute("role", "combobox");
    textarea.setAttribute("aria-autocomplete", "list");
    textarea.setAttribute("aria-controls", list.id);
    textarea.setAttribute("aria-expanded", "true");
    if (options().length) highlight(0);
  }

  async function suggest(textarea) {
    const found = token(textarea);
    const url = source()?.dataset.mentionsUrl;
    if (!found || !url) return close();
    const mine = ++request;
    const response = await fetch(url + "?q=" + encodeURIComponent(found.query), {
      credentials: "same-origin",
    });
    // Only the latest answer counts; the text may have moved on meanwhile.
    if (mine !== request || !response.ok) return;
    show(textarea, await response.text());
  }

  document.addEventListener("input", (event) => {
    const textarea = event.target;
    if (!(textarea instanceof HTMLTextAreaElement) || !textarea.hasAttribute("data-mentions")) return;
    clearTimeout(timer);
    if (!token(textarea)) return close();
    timer = setTimeout(() => suggest(textarea), 150);
  });

  document.addEventListener("keydown", (event) => {
    if (!list || event.target !== field) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      highlight(active + (event.key === "ArrowDown" ? 1 : -1));
    } else if ((event.key === "Enter" || event.key === "Tab") && options()[active]) {
      event.preventDefault();
      pick(options()[active]);
    } else if (event.key === "Escape") {
      event.preventDefault();
      close();
    }
  });

  // mousedown, before the textarea loses focus.
  document.addEventListener("mousedown", (event) => {
    const item = event.target.closest?.("[role=option][data-mention-name]");
    if (item && list && list.contains(item)) {
      event.preventDefault();
      pick(item);
    } else if (list && !list.contains(event.target) && event.target !== field) {
      close();
    }
  });
})();

// One-click answers from a spark email: the page a choice's link opens posts that choice at once.
// The GET that opened the page wrote nothing (mail scanners prefetch links); without JavaScript
// the visible button does the same.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-autosubmit]");
  if (form && document.visibilityState !== "prerender") {
    form.requestSubmit();
  }
});

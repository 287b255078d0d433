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

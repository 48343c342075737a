// Small behaviours every page shares. Page-specific code lives beside its page's template.
document.addEventListener("htmx:responseError", (event) => {
  // A 5xx or a lost connection: say so where people look, instead of doing nothing.
  const box = document.getElementById("connection-error") || document.createElement("p");
  box.id = "connection-error";
  box.className = "flash error";
  box.setAttribute("role", "alert");
  box.textContent = "The server could not answer just now. Nothing was changed; try again in a moment.";
  document.getElementById("main").prepend(box);
});

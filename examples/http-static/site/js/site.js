// Marks the link to the page being shown.
for (const link of document.querySelectorAll("a")) {
  if (link.getAttribute("href") === location.pathname) link.setAttribute("aria-current", "page");
}

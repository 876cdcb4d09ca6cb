// Saved views of the deal list: a name and the filters' query string, kept in this browser's localStorage.
(function () {
  const box = document.querySelector("[data-saved-views]");
  if (!box) return;
  const KEY = "dealflow.deal-views";
  const links = box.querySelector("[data-saved-view-links]");
  const saveButton = box.querySelector("[data-save-view]");
  const load = () => { try { return JSON.parse(localStorage.getItem(KEY) || "{}"); } catch (e) { return {}; } };
  const store = (views) => localStorage.setItem(KEY, JSON.stringify(views));
  function draw() {
    links.replaceChildren();
    for (const [name, query] of Object.entries(load())) {
      const link = document.createElement("a");
      link.href = box.dataset.listUrl + query;
      link.textContent = name;
      link.className = "saved-view";
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "button small";
      remove.textContent = "×";
      remove.setAttribute("aria-label", saveButton.dataset.removeLabel + " " + name);
      remove.addEventListener("click", () => { const views = load(); delete views[name]; store(views); draw(); });
      links.append(link, remove, " ");
    }
  }
  saveButton.addEventListener("click", () => {
    const name = (window.prompt(saveButton.dataset.prompt) || "").trim().slice(0, 60);
    if (!name) return;
    const params = new URLSearchParams(location.search);
    params.delete("page");
    const views = load();
    views[name] = params.toString() ? "?" + params.toString() : "";
    store(views);
    draw();
  });
  draw();
})();

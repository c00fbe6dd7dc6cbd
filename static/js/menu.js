// <details data-menu> drop-downs close on a click outside them or on Escape, like native menus.

export function closeMenusOnOutsideClick(root) {
  const menus = [...root.querySelectorAll("details[data-menu]")];
  if (menus.length === 0) return;
  root.addEventListener("click", (event) => {
    for (const menu of menus) {
      if (menu.open && !menu.contains(event.target)) menu.open = false;
    }
  });
  root.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    for (const menu of menus) {
      if (menu.open) {
        menu.open = false;
        menu.querySelector("summary")?.focus();
      }
    }
  });
}

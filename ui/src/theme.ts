// Light, dark, or the system's choice; kept in localStorage (a display preference, not data).

export type Theme = "light" | "dark" | "system";

export function storedTheme(): Theme {
  const value = localStorage.getItem("hearth.theme");
  return value === "light" || value === "dark" ? value : "system";
}

export function applyTheme(theme: Theme): void {
  localStorage.setItem("hearth.theme", theme);
  const dark = theme === "dark" || (theme === "system" && window.matchMedia?.("(prefers-color-scheme: dark)").matches);
  document.documentElement.dataset.theme = dark ? "dark" : "light";
}

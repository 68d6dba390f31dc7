import { render } from "preact";
import { App } from "./app";
import { Api } from "./api";
import { devToken, HttpTransport, LOGIN_NEEDED } from "./transport";
import { inDesktop, IpcTransport } from "./desktop";
import { applyTheme, storedTheme } from "./theme";
import "./style.css";

applyTheme(storedTheme());
// A banner over every page once the server says this browser is not logged in.
function showLoginNeeded() {
  if (document.getElementById("login-needed")) return;
  const banner = document.createElement("div");
  banner.id = "login-needed";
  banner.className = "error login-needed";
  banner.setAttribute("role", "alert");
  banner.textContent = LOGIN_NEEDED;
  document.body.prepend(banner);
}

// Inside the desktop app the same API is reached over IPC; in a browser, over HTTP with
// the session cookie the login link set.
const api = new Api(inDesktop() ? new IpcTransport() : new HttpTransport(devToken(), "", undefined, showLoginNeeded));
render(<App api={api} />, document.getElementById("app")!);

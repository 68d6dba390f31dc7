import { render } from "preact";
import { App } from "./app";
import { Api } from "./api";
import { HttpTransport, pageToken } from "./transport";
import { inDesktop, IpcTransport } from "./desktop";
import { applyTheme, storedTheme } from "./theme";
import "./style.css";

applyTheme(storedTheme());
// Inside the desktop app the same API is reached over IPC; in a browser, over HTTP.
const api = new Api(inDesktop() ? new IpcTransport() : new HttpTransport(pageToken()));
render(<App api={api} />, document.getElementById("app")!);
